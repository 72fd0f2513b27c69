/**
 * What the context changes: dev vs prod (Multi-AZ, deletion protection, customer-managed keys), and the
 * options (HTTPS with a certificate, VPC endpoints instead of NAT, single-user rotation).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logicalId,
  onlyResource,
  refId,
  removeAssemblies,
  resourcesOf,
  synthesize,
  type Synthesized,
} from '../helpers/synth.js';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';

let dev: Synthesized;
let prod: Synthesized;
let options: Synthesized;
beforeAll(() => {
  dev = synthesize({ profile: 'dev' }, { bundle: false });
  prod = synthesize({ profile: 'prod' }, { bundle: false });
  // As `-c key=value` passes them: strings.
  options = synthesize(
    {
      certificateArn: CERTIFICATE,
      egress: 'endpoints',
      rotationStrategy: 'single-user',
      multiAz: 'true',
    },
    { bundle: false },
  );
});
afterAll(removeAssemblies);

describe('dev vs prod', () => {
  it('prod is Multi-AZ with deletion protection; dev is neither', () => {
    dev.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false, DeletionProtection: false });
    prod.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
    prod.template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
    dev.template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete' });
  });

  it('prod encrypts both secrets and the storage with a rotating customer-managed key; dev uses AWS-managed keys', () => {
    dev.template.resourceCountIs('AWS::KMS::Key', 0);
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.absent() });

    const key = logicalId(prod, prod.stack.key as NonNullable<typeof prod.stack.key>);
    prod.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const [, secret] = onlyResource(prod.template, 'AWS::SecretsManager::Secret');
    expect(refId(secret.Properties?.KmsKeyId)).toBe(key);
    const [, db] = onlyResource(prod.template, 'AWS::RDS::DBInstance');
    expect(refId((db.Properties?.MasterUserSecret as { KmsKeyId: unknown }).KmsKeyId)).toBe(key);
    expect(refId(db.Properties?.KmsKeyId)).toBe(key);
  });

  it('prod: the task role may decrypt with the key, only through Secrets Manager', () => {
    const role = logicalId(prod, prod.stack.service.taskRole);
    const statements = Object.values(resourcesOf(prod.template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => refId(r) === role))
      .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const actions = statements.flatMap((s) =>
      Array.isArray(s.Action) ? (s.Action as string[]) : [s.Action as string],
    );
    expect(actions.sort()).toEqual([
      'kms:Decrypt',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const kms = statements.find((s) => s.Action === 'kms:Decrypt');
    expect(JSON.stringify(kms?.Condition)).toContain('kms:ViaService');
    expect(statements.every((s) => s.Resource !== '*')).toBe(true);
  });

  it('prod: one NAT gateway per AZ, an encrypted alarm topic, longer backups', () => {
    prod.template.resourceCountIs('AWS::EC2::NatGateway', 2);
    prod.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    dev.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    prod.template.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 14 });
  });
});

describe('options', () => {
  it('HTTPS on 443 with the given certificate, and HTTP 80 redirects', () => {
    options.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: CERTIFICATE }],
    });
    options.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443' }) }),
      ],
    });
  });

  it('egress=endpoints: no NAT, isolated app subnets, endpoints for ECR, S3, Logs and Secrets Manager', () => {
    options.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const services = Object.values(resourcesOf(options.template, 'AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties?.ServiceName),
    );
    for (const name of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 's3']) {
      expect(services.some((s) => s.includes(name))).toBe(true);
    }
    const [, service] = onlyResource(options.template, 'AWS::ECS::Service');
    for (const endpoint of Object.keys(resourcesOf(options.template, 'AWS::EC2::VPCEndpoint'))) {
      expect(service.DependsOn).toContain(endpoint);
    }
  });

  it('rotationStrategy=single-user: the function needs no master secret', () => {
    const fn = logicalId(options, options.stack.appSecret.rotationFunction);
    const props = resourcesOf(options.template, 'AWS::Lambda::Function')[fn]?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(props.Environment.Variables.ROTATION_STRATEGY).toBe('single-user');
    expect(props.Environment.Variables.DB_MASTER_HOST).toBeUndefined();
    expect(JSON.stringify(resourcesOf(options.template, 'AWS::IAM::Policy'))).not.toContain(
      '"Sid":"ReadMasterSecret"',
    );
  });

  it('string context values are parsed (multiAz=true)', () => {
    options.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true });
  });
});
