/**
 * One stack, composed of one construct per concern:
 *   Network → Database → AppSecret (secret, bootstrap, rotation) → Service → Alarms → Dashboard
 * and the wiring between them that no single construct owns: who may reach the database, who may
 * read the secret, what waits for what.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alarms } from './alarms.js';
import { AppMetrics } from './app-metrics.js';
import { AppSecret } from './app-secret.js';
import type { InfraConfig } from './config.js';
import { Dashboard } from './dashboard.js';
import { PostgresDatabase } from './database.js';
import { Network } from './network.js';
import { FargateApi } from './service.js';

export interface RotatingCredentialsStackProps extends StackProps {
  config: InfraConfig;
}

export class RotatingCredentialsStack extends Stack {
  readonly network: Network;
  readonly database: PostgresDatabase;
  readonly appSecret: AppSecret;
  readonly service: FargateApi;
  readonly alarms: Alarms;
  readonly dashboard: Dashboard;
  readonly key: kms.Key | undefined;

  constructor(scope: Construct, id: string, props: RotatingCredentialsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prod = config.profile === 'prod';
    // dev is a lab: `cdk destroy` removes it. prod keeps data and logs.
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retentionDays(config.logRetentionDays);

    this.network = new Network(this, 'Network', {
      maxAzs: config.maxAzs,
      egress: config.egress,
      natGateways: config.natGateways,
      logRetention,
      removalPolicy,
    });

    if (config.customerManagedKey) {
      this.key = new kms.Key(this, 'DataKey', {
        description: 'App and master DB secrets, database storage',
        enableKeyRotation: true,
        removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        ...(!prod && { pendingWindow: Duration.days(7) }),
      });
    }

    this.database = new PostgresDatabase(this, 'Database', {
      vpc: this.network.vpc,
      subnets: this.network.dbSubnets,
      port: config.dbPort,
      instanceType: config.dbInstanceType,
      allocatedStorageGiB: config.dbAllocatedStorageGiB,
      multiAz: config.multiAz,
      deletionProtection: config.deletionProtection,
      backupRetentionDays: config.backupRetentionDays,
      key: this.key,
      logRetention,
      removalPolicy: prod ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });

    this.appSecret = new AppSecret(this, 'AppSecret', {
      vpc: this.network.vpc,
      subnets: this.network.appSubnets,
      database: this.database,
      key: this.key,
      rotationStrategy: config.rotationStrategy,
      rotationInterval: Duration.hours(config.rotationHours),
      logRetention,
      removalPolicy,
      networkReady: this.network.endpoints,
    });

    // The Service dimension of the app's metrics: one per stack, so two copies in an account stay apart.
    const appMetrics = new AppMetrics(this.stackName);
    this.service = new FargateApi(this, 'Api', {
      metricsService: appMetrics.service,
      vpc: this.network.vpc,
      publicSubnets: this.network.publicSubnets,
      appSubnets: this.network.appSubnets,
      secretArn: this.appSecret.secret.secretArn,
      certificateArn: config.certificateArn,
      allowedCidr: config.allowedCidr,
      desiredCount: config.desiredCount,
      minCapacity: config.minCapacity,
      maxCapacity: config.maxCapacity,
      cpu: config.cpu,
      memoryMiB: config.memoryMiB,
      requestsPerTarget: config.requestsPerTarget,
      logRetention,
      removalPolicy,
      deletionProtection: config.deletionProtection,
    });

    // Who reaches PostgreSQL: the tasks, the rotation function, the bootstrap. Nobody else.
    this.database.allowFrom(this.service.securityGroup, 'API tasks');
    this.database.allowFrom(this.appSecret.rotationSecurityGroup, 'rotation function');
    this.database.allowFrom(this.appSecret.bootstrapSecurityGroup, 'DB bootstrap');

    // Who reads the secret: the task role (exactly these two actions), the rotation and bootstrap functions.
    this.appSecret.grantAppRead(this.service.taskRole);
    this.appSecret.restrictReadersTo([this.service.taskRole]);

    // Tasks start once the database has its roles and the endpoints exist.
    this.service.service.node.addDependency(this.appSecret.bootstrap, ...this.network.endpoints);

    this.alarms = new Alarms(this, 'Alarms', {
      rotationFunction: this.appSecret.rotationFunction,
      loadBalancer: this.service.loadBalancer,
      targetGroup: this.service.targetGroup,
      customerManagedKey: config.customerManagedKey,
      email: config.alarmEmail,
      appMetrics,
      database: this.database.instance,
      maxConnections: config.dbMaxConnections,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      appMetrics,
      rotationFunction: this.appSecret.rotationFunction,
      rotationLogGroup: this.appSecret.rotationLogGroup,
      loadBalancer: this.service.loadBalancer,
      targetGroup: this.service.targetGroup,
      database: this.database.instance,
      maxConnections: config.dbMaxConnections,
      alarms: this.alarms.alarms,
    });

    // CDK's singleton that sets the retention of the log group RDS creates for the postgresql export.
    for (const child of this.node.children) {
      if (!child.node.id.startsWith('LogRetention')) continue;
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's LogRetention function (sets the retention of the RDS-created postgresql log group) logs with the " +
          'AWS-managed basic execution policy.',
      });
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "CDK's LogRetention function needs logs:PutRetentionPolicy/DeleteRetentionPolicy on a log group whose " +
          'name RDS chooses at runtime.',
      });
    }

    new CfnOutput(this, 'Url', { value: this.service.url, description: 'The API' });
    new CfnOutput(this, 'AppSecretArn', { value: this.appSecret.secret.secretArn });
    new CfnOutput(this, 'MasterSecretArn', { value: this.database.masterSecret.secretArn });
    new CfnOutput(this, 'RotationFunctionName', { value: this.appSecret.rotationFunction.functionName });
    new CfnOutput(this, 'RotationLogGroup', { value: this.appSecret.rotationLogGroup.logGroupName });
    new CfnOutput(this, 'ApiLogGroup', { value: this.service.logGroup.logGroupName });
    new CfnOutput(this, 'ClusterName', { value: this.service.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.service.serviceName });
    new CfnOutput(this, 'TargetGroupArn', { value: this.service.targetGroup.targetGroupArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
  }
}

/** CloudWatch Logs accepts only certain retention periods. */
function retentionDays(days: number): logs.RetentionDays {
  const byDays = new Map<number, logs.RetentionDays>();
  for (const value of Object.values(logs.RetentionDays)) {
    if (typeof value === 'number' && value !== logs.RetentionDays.INFINITE) byDays.set(value, value);
  }
  const match = byDays.get(days);
  if (match === undefined) {
    throw new Error(`logRetentionDays must be one of ${[...byDays.keys()].join(', ')} (got ${days})`);
  }
  return match;
}
