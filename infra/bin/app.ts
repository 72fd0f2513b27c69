/**
 * The CDK app: one stack, configured from context (`-c profile=prod`, `-c certificateArn=…`; see
 * infra/lib/config.ts and docs/deploy.md). Environment-agnostic: no account or region in here; the
 * CLI's credentials and region decide where it goes.
 *
 * cdk-nag's AWS Solutions checks run on every synth (cdk-nag 3: a policy-validation plugin); an
 * unacknowledged finding fails the synth and the report lands in cdk.out/policy-validation-report.json.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '../lib/config.js';
import { RotatingCredentialsStack } from '../lib/stack.js';

const app = new App();
const config = configFromContext(app.node);
const stackName: unknown = app.node.tryGetContext('stackName');

const stack = new RotatingCredentialsStack(app, 'RotatingCredentials', {
  stackName:
    typeof stackName === 'string' && stackName !== '' ? stackName : `rotating-credentials-${config.profile}`,
  description: `Reference API on ECS Fargate with rotating PostgreSQL credentials (${config.profile})`,
  config,
});
Tags.of(stack).add('project', 'rotating-credentials-fargate');
Tags.of(stack).add('profile', config.profile);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
