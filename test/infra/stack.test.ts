/**
 * The dev profile (the default), resource by resource: what the design promises about the network,
 * the database, the secret and its rotation, the service and the alarms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN } from '../../infra/lib/service.js';
import {
  logicalId,
  onlyResource,
  refId,
  removeAssemblies,
  resourcesOf,
  synthesize,
  type Synthesized,
} from '../helpers/synth.js';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});
afterAll(removeAssemblies);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOfStatement = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** Statements of every AWS::IAM::Policy attached to a role. */
function policyStatements(roleId: string): Statement[] {
  const out: Statement[] = [];
  for (const policy of Object.values(resourcesOf(synth.template, 'AWS::IAM::Policy'))) {
    const props = policy.Properties as { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } };
    if (props.Roles.some((r) => refId(r) === roleId)) out.push(...props.PolicyDocument.Statement);
  }
  return out;
}

describe('network', () => {
  it('spans two AZs with public, app and db subnets', () => {
    const subnets = Object.values(resourcesOf(synth.template, 'AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(6);
    const names = subnets.map(
      (s) =>
        (s.Properties?.Tags as { Key: string; Value: string }[]).find((t) => t.Key === 'aws-cdk:subnet-name')
          ?.Value,
    );
    expect(names.sort()).toEqual(['app', 'app', 'db', 'db', 'public', 'public']);
  });

  it('uses a NAT gateway by default, and always has a Secrets Manager interface endpoint', () => {
    synth.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const endpoints = Object.values(resourcesOf(synth.template, 'AWS::EC2::VPCEndpoint'));
    expect(endpoints).toHaveLength(1);
    expect(JSON.stringify(endpoints[0]?.Properties?.ServiceName)).toContain('secretsmanager');
    expect(endpoints[0]?.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });

  it('logs all VPC traffic', () => {
    synth.template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

describe('database', () => {
  it('is PostgreSQL 18, encrypted, private, on a non-default port, with an RDS-managed master secret', () => {
    synth.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^18'),
      StorageEncrypted: true,
      PubliclyAccessible: false,
      Port: '5433',
      ManageMasterUserPassword: true,
      MasterUsername: 'postgres',
      MasterUserPassword: Match.absent(),
      BackupRetentionPeriod: Match.anyValue(),
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
  });

  it('forces TLS in its parameter group', () => {
    synth.template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres18',
      Parameters: Match.objectLike({ 'rds.force_ssl': '1', password_encryption: 'scram-sha-256' }),
    });
  });

  it('admits only the service, the rotation function and the bootstrap, on the DB port', () => {
    const dbSg = logicalId(synth, synth.stack.database.securityGroup);
    const sg = resourcesOf(synth.template, 'AWS::EC2::SecurityGroup')[dbSg];
    expect(sg?.Properties?.SecurityGroupIngress).toBeUndefined(); // no inline (CIDR) rules
    const ingress = Object.values(resourcesOf(synth.template, 'AWS::EC2::SecurityGroupIngress')).filter(
      (r) => refId(r.Properties?.GroupId) === dbSg,
    );
    const sources = ingress.map((r) => refId(r.Properties?.SourceSecurityGroupId)).sort();
    expect(sources).toEqual(
      [
        logicalId(synth, synth.stack.service.securityGroup),
        logicalId(synth, synth.stack.appSecret.rotationSecurityGroup),
        logicalId(synth, synth.stack.appSecret.bootstrapSecurityGroup),
      ].sort(),
    );
    for (const rule of ingress) {
      expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5433, ToPort: 5433 });
      expect(rule.Properties?.CidrIp).toBeUndefined();
    }
  });
});

describe('app secret', () => {
  it('has the full rotation shape: user app, master ARN, generated password', () => {
    const [, secret] = onlyResource(synth.template, 'AWS::SecretsManager::Secret');
    const generate = secret.Properties?.GenerateSecretString as Record<string, unknown>;
    expect(generate.GenerateStringKey).toBe('password');
    const template = JSON.stringify(generate.SecretStringTemplate);
    for (const field of ['engine', 'host', 'port', 'dbname', 'masterarn'])
      expect(template).toContain(`\\"${field}\\"`);
    expect(template).toContain('\\"username\\":\\"app\\"');
    expect(template).toContain('MasterUserSecret.SecretArn');
  });

  it('rotates with OUR function, after the bootstrap, never on deploy', () => {
    const fn = logicalId(synth, synth.stack.appSecret.rotationFunction);
    const [, schedule] = onlyResource(synth.template, 'AWS::SecretsManager::RotationSchedule');
    expect(refId(schedule.Properties?.RotationLambdaARN)).toBe(fn);
    expect(schedule.Properties?.HostedRotationLambda).toBeUndefined();
    expect(schedule.Properties?.RotateImmediatelyOnUpdate).toBe(false);
    expect(schedule.DependsOn).toContain(logicalId(synth, synth.stack.appSecret.bootstrap));
  });

  it('rotation function: newest Node runtime, in the app subnets, alternating users, verify-full', () => {
    const fn = logicalId(synth, synth.stack.appSecret.rotationFunction);
    const props = resourcesOf(synth.template, 'AWS::Lambda::Function')[fn]?.Properties as Record<
      string,
      unknown
    >;
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Handler).toBe('index.handler');
    expect((props.VpcConfig as { SubnetIds: unknown[] }).SubnetIds).toHaveLength(2);
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      ROTATION_STRATEGY: 'alternating-users',
      DB_SSL: 'verify-full',
      DB_OWNER_ROLE: 'app_owner',
      DB_MASTER_PORT: '5433',
    });
  });

  it('rotation role: the four rotation actions on the app secret, reads the master secret, no wildcard secret', () => {
    const role = refId(
      (
        resourcesOf(synth.template, 'AWS::Lambda::Function')[
          logicalId(synth, synth.stack.appSecret.rotationFunction)
        ]?.Properties as { Role: unknown }
      ).Role,
    );
    if (role === undefined) throw new Error('rotation function has no role');
    const statements = policyStatements(role);
    const secret = logicalId(synth, synth.stack.appSecret.secret);
    const onSecret = statements.filter((s) => resourcesOfStatement(s).some((r) => refId(r) === secret));
    expect(onSecret.flatMap(actionsOf).sort()).toEqual(
      [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ].sort(),
    );
    const onMaster = statements.filter((s) =>
      JSON.stringify(s.Resource).includes('MasterUserSecret.SecretArn'),
    );
    expect(onMaster.flatMap(actionsOf)).toContain('secretsmanager:GetSecretValue');
    // The only wildcard resource is GetRandomPassword's (it has no resource type).
    for (const s of statements.filter((x) => resourcesOfStatement(x).includes('*'))) {
      expect(actionsOf(s)).toEqual(['secretsmanager:GetRandomPassword']);
    }
  });

  it('both functions are bundled by esbuild at synth (ESM, no prior build step)', () => {
    const assets = JSON.parse(
      readFileSync(join(synth.outdir, `${synth.stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const bundles = Object.values(assets.files)
      .map((f) => join(synth.outdir, f.source.path, 'index.mjs'))
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8'));
    const rotation = bundles.filter((b) => b.includes('ROTATION_STRATEGY'));
    const bootstrap = bundles.filter((b) => b.includes('db-bootstrap/'));
    expect(rotation).toHaveLength(1);
    expect(bootstrap).toHaveLength(1);
    for (const bundle of [...rotation, ...bootstrap]) {
      expect(bundle).toContain('createRequire');
      expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b/);
    }
  });

  it('is bootstrapped by a custom resource running db-bootstrap/ in the VPC', () => {
    const [, bootstrap] = onlyResource(synth.template, 'Custom::DatabaseBootstrap');
    expect(bootstrap.Properties).toMatchObject({
      Database: 'app',
      Schema: 'app',
      OwnerRole: 'app_owner',
      AppUser: 'app',
      Port: '5433',
    });
    expect(refId(bootstrap.Properties?.AppSecretArn)).toBe(logicalId(synth, synth.stack.appSecret.secret));
    const fn = resourcesOf(synth.template, 'AWS::Lambda::Function')[
      logicalId(synth, synth.stack.appSecret.bootstrapFunction)
    ];
    expect(fn?.Properties?.VpcConfig).toBeDefined();
  });

  it('denies GetSecretValue to everyone but the task role, the rotation and the bootstrap functions', () => {
    const [, policy] = onlyResource(synth.template, 'AWS::SecretsManager::ResourcePolicy');
    const statements = (
      policy.Properties?.ResourcePolicy as { Statement: (Statement & { Principal: unknown })[] }
    ).Statement;
    const deny = statements.find(
      (s) => s.Effect === 'Deny' && actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(deny).toBeDefined();
    expect(deny?.Principal).toEqual({ AWS: '*' });
    // Only reading the value is denied: management stays with the account.
    expect(actionsOf(deny as Statement)).toEqual(['secretsmanager:GetSecretValue']);
    const allowed = (
      deny?.Condition as { StringNotEquals: { 'aws:PrincipalArn': unknown[] } }
    ).StringNotEquals['aws:PrincipalArn'].map(refId);
    const roleOf = (fn: { role?: { node: { defaultChild?: unknown } } }): string => {
      if (!fn.role) throw new Error('no role');
      return logicalId(synth, fn.role);
    };
    expect(allowed.sort()).toEqual(
      [
        logicalId(synth, synth.stack.service.taskRole),
        roleOf(synth.stack.appSecret.rotationFunction),
        roleOf(synth.stack.appSecret.bootstrapFunction),
      ].sort(),
    );
  });
});

describe('service', () => {
  it('task role: exactly GetSecretValue and DescribeSecret on the app secret, nothing else', () => {
    const statements = policyStatements(logicalId(synth, synth.stack.service.taskRole));
    expect(statements).toHaveLength(1);
    const [statement] = statements as [Statement];
    expect(statement.Effect).toBe('Allow');
    expect(actionsOf(statement).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(resourcesOfStatement(statement).map(refId)).toEqual([
      logicalId(synth, synth.stack.appSecret.secret),
    ]);
    for (const s of statements) {
      for (const action of actionsOf(s)) expect(action).not.toContain('*');
      expect(resourcesOfStatement(s)).not.toContain('*');
    }
    // and no managed policies
    const role = resourcesOf(synth.template, 'AWS::IAM::Role')[
      logicalId(synth, synth.stack.service.taskRole)
    ];
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it('container: non-root, read-only root fs, no Secrets, only non-secret config', () => {
    const [, taskDef] = onlyResource(synth.template, 'AWS::ECS::TaskDefinition');
    const containers = taskDef.Properties?.ContainerDefinitions as Record<string, unknown>[];
    expect(containers).toHaveLength(1);
    for (const container of containers) {
      expect(container.User).toBe('node');
      expect(container.ReadonlyRootFilesystem).toBe(true);
      expect(container.Secrets).toBeUndefined();
      const env = Object.fromEntries(
        (container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
      expect(refId(env.DB_SECRET_ID)).toBe(logicalId(synth, synth.stack.appSecret.secret));
      expect(env.DB_SSL).toBe('verify-full');
      // One proxy, the ALB: the write rate limit keys on the client, not on a load balancer node.
      expect(env.TRUST_PROXY).toBe('1');
      // The OpenAPI document and Swagger UI stay off in production (OPENAPI_DOCS defaults to false).
      expect(env.OPENAPI_DOCS).toBeUndefined();
      for (const name of Object.keys(env)) expect(name).not.toMatch(/PASSWORD/i);
      expect(env.SHUTDOWN_DELAY_SECONDS).toBe(String(SHUTDOWN.delaySeconds));
      expect(env.SHUTDOWN_GRACE_SECONDS).toBe(String(SHUTDOWN.graceSeconds));
      expect(container.StopTimeout).toBeGreaterThanOrEqual(SHUTDOWN.graceSeconds + 1);
    }
  });

  it('image is built from the repository Dockerfile, target runtime', () => {
    const assets = JSON.parse(
      readFileSync(join(synth.outdir, `${synth.stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { dockerFile?: string; dockerBuildTarget?: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: 'Dockerfile', dockerBuildTarget: 'runtime' });
  });

  it('Fargate service: circuit breaker with rollback, 100 % minimum healthy, private, Container Insights', () => {
    synth.template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
    synth.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    const [, service] = onlyResource(synth.template, 'AWS::ECS::Service');
    expect(service.DependsOn).toContain(logicalId(synth, synth.stack.appSecret.bootstrap));
  });

  it('target group: /health/ready, deregistration delay aligned with the app shutdown', () => {
    synth.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health/ready',
      Port: 3000,
      TargetType: 'ip',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: String(SHUTDOWN.deregistrationDelaySeconds) },
      ]),
    });
    expect(SHUTDOWN.deregistrationDelaySeconds).toBeGreaterThanOrEqual(SHUTDOWN.delaySeconds);
    expect(SHUTDOWN.stopTimeoutSeconds).toBeGreaterThan(SHUTDOWN.graceSeconds);
  });

  it('HTTP listener when no certificate is given', () => {
    synth.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    synth.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
    });
  });

  it('scales on requests per target and on CPU', () => {
    synth.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
      }),
    });
    synth.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });
});

describe('alarms', () => {
  it('routes Secrets Manager rotation failures to the topic', () => {
    const topic = logicalId(synth, synth.stack.alarms.topic);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.secretsmanager'],
        detail: Match.objectLike({ eventName: ['RotationFailed', 'RotationAbandoned'] }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
  });

  it('alarms on rotation function errors, ALB 5xx and unhealthy hosts, all to the topic', () => {
    const topic = logicalId(synth, synth.stack.alarms.topic);
    // The alarms on the app's credential metrics are checked in observability.test.ts.
    const alarms = Object.values(resourcesOf(synth.template, 'AWS::CloudWatch::Alarm')).filter(
      (a) => !JSON.stringify(a).includes('RotatingCredentials/App') && !JSON.stringify(a).includes('AWS/RDS'),
    );
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms)
      expect((alarm.Properties?.AlarmActions as unknown[]).map(refId)).toEqual([topic]);
    const text = JSON.stringify(alarms);
    expect(text).toContain('"MetricName":"Errors"');
    expect(text).toContain('HTTPCode_ELB_5XX_Count');
    expect(text).toContain('HTTPCode_Target_5XX_Count');
    expect(text).toContain('UnHealthyHostCount');
  });
});
