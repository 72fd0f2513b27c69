/**
 * The API on ECS Fargate behind an Application Load Balancer.
 *
 * - Image: the repository's Dockerfile, target `runtime` (app/ only), built by `cdk deploy`.
 * - The container runs as `node` on a read-only root filesystem, and gets only non-secret config:
 *   `DB_SECRET_ID` is the secret's ARN; the app reads the value itself through the task role and
 *   follows rotations. There is deliberately no ECS `secrets` injection: a value injected at task
 *   start would go stale at the first rotation.
 * - Task role: GetSecretValue and DescribeSecret on the app secret (+ kms:Decrypt through Secrets
 *   Manager when a customer-managed key is used), granted by the stack; nothing else.
 * - Load balancer: HTTPS when a certificate ARN is given (HTTP 80 then redirects), plain HTTP
 *   otherwise. The target group checks `/health/ready`, which reports the app's last health-check
 *   cycle and never calls Secrets Manager.
 * - Shutdown timings are one set of numbers (SHUTDOWN below): the same values reach the app's
 *   environment, the target group's deregistration delay and the container's stopTimeout.
 * - Deployments: circuit breaker with rollback, 100 % minimum healthy (new tasks start before old
 *   ones stop). Autoscaling on requests per target and on CPU.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { InfraConfig } from './config.js';

export const CONTAINER_NAME = 'api';
export const CONTAINER_PORT = 3000;
export const HEALTH_CHECK_PATH = '/health/ready';

/**
 * On a deployment or scale-in, ECS first deregisters the task and waits for the target group's
 * deregistration delay (the load balancer drains it), then sends SIGTERM; the app turns unready,
 * waits `delaySeconds` (for any path that did not deregister first, e.g. a task stopped by hand),
 * stops accepting, finishes in-flight requests and exits, all within `graceSeconds`. ECS kills the
 * container `stopTimeoutSeconds` after SIGTERM, so that must exceed the grace.
 */
export const SHUTDOWN = {
  delaySeconds: 5,
  graceSeconds: 25,
  stopTimeoutSeconds: 30,
  deregistrationDelaySeconds: 30,
} as const;

export interface FargateApiProps extends Pick<
  InfraConfig,
  | 'certificateArn'
  | 'allowedCidr'
  | 'desiredCount'
  | 'minCapacity'
  | 'maxCapacity'
  | 'cpu'
  | 'memoryMiB'
  | 'requestsPerTarget'
> {
  vpc: ec2.IVpc;
  publicSubnets: ec2.SubnetSelection;
  appSubnets: ec2.SubnetSelection;
  secretArn: string;
  /** The Service dimension of the app's CloudWatch metrics (CLOUDWATCH_EMF_SERVICE). */
  metricsService: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
}

export class FargateApi extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly url: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FargateApiProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskRole = this.createTaskRole();
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const taskDefinition = this.createTaskDefinition(props);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'API tasks: from the load balancer; to PostgreSQL and AWS APIs',
    });
    this.service = this.createFargateService(props, taskDefinition);

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'API load balancer: from allowedCidr; to the tasks',
      allowAllOutbound: false,
    });
    this.loadBalancer = this.createLoadBalancer(props, albSecurityGroup);
    this.targetGroup = this.createTargetGroup(props);
    this.service.attachToApplicationTargetGroup(this.targetGroup);
    this.url = this.addListeners(props, albSecurityGroup);

    this.addAutoscaling(props);
    this.acknowledgeFindings(props, taskDefinition, albSecurityGroup);
  }

  /** Confused-deputy guard: only ECS tasks of this account may assume the role. */
  private createTaskRole(): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(this, 'TaskRole', {
      description: 'API task role: reads its own DB secret, nothing else',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
      }),
    });
  }

  private createTaskDefinition(props: FargateApiProps): ecs.FargateTaskDefinition {
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      taskRole: this.taskRole,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    taskDefinition.addContainer(CONTAINER_NAME, {
      image: ecs.ContainerImage.fromAsset(fileURLToPath(new URL('../../', import.meta.url)), {
        file: 'Dockerfile',
        target: 'runtime',
        platform: Platform.LINUX_AMD64,
      }),
      user: 'node',
      readonlyRootFilesystem: true,
      essential: true,
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      // Non-secret configuration only. The password never passes through ECS.
      environment: {
        DB_SECRET_ID: props.secretArn,
        DB_SSL: 'verify-full',
        PORT: String(CONTAINER_PORT),
        // The load balancer is the one proxy: request.ip is the address it received the request from.
        TRUST_PROXY: '1',
        CREDENTIAL_REFRESH_SECONDS: '30',
        SHUTDOWN_DELAY_SECONDS: String(SHUTDOWN.delaySeconds),
        SHUTDOWN_GRACE_SECONDS: String(SHUTDOWN.graceSeconds),
        DB_MIGRATE: 'true',
        LOG_LEVEL: 'info',
        // Naming the Service turns the credential metrics on as embedded metric format records on
        // stdout: awslogs ships them to CloudWatch Logs, which extracts the metrics (no agent, no sidecar).
        CLOUDWATCH_EMF_SERVICE: props.metricsService,
      },
      stopTimeout: Duration.seconds(SHUTDOWN.stopTimeoutSeconds),
      // Liveness only (the image's HEALTHCHECK script); readiness is the load balancer's business.
      healthCheck: {
        command: ['CMD', 'node', 'dist/app/src/container-healthcheck.js'],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(3),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: CONTAINER_NAME,
        logGroup: this.logGroup,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    return taskDefinition;
  }

  private createFargateService(
    props: FargateApiProps,
    taskDefinition: ecs.FargateTaskDefinition,
  ): ecs.FargateService {
    return new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      vpcSubnets: props.appSubnets,
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }

  private createLoadBalancer(
    props: FargateApiProps,
    securityGroup: ec2.SecurityGroup,
  ): elbv2.ApplicationLoadBalancer {
    return new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.publicSubnets,
      internetFacing: true,
      securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
    });
  }

  private createTargetGroup(props: FargateApiProps): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(SHUTDOWN.deregistrationDelaySeconds),
      healthCheck: {
        path: HEALTH_CHECK_PATH,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }

  /** The listener (HTTPS with a certificate, with a redirect from 80; HTTP otherwise); returns the URL. */
  private addListeners(props: FargateApiProps, albSecurityGroup: ec2.SecurityGroup): string {
    const https = props.certificateArn !== undefined;
    const listenerPort = https ? 443 : 80;
    this.loadBalancer.addListener('Listener', {
      port: listenerPort,
      open: false,
      ...(props.certificateArn !== undefined
        ? {
            protocol: elbv2.ApplicationProtocol.HTTPS,
            certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
            sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          }
        : { protocol: elbv2.ApplicationProtocol.HTTP }),
      defaultTargetGroups: [this.targetGroup],
    });
    albSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.allowedCidr), ec2.Port.tcp(listenerPort), 'clients');
    if (https) {
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
      albSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(props.allowedCidr),
        ec2.Port.tcp(80),
        'redirect to HTTPS',
      );
    }
    return `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }

  private addAutoscaling(props: FargateApiProps): void {
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: props.requestsPerTarget,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(30),
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(30),
    });
  }

  private acknowledgeFindings(
    props: FargateApiProps,
    taskDefinition: ecs.FargateTaskDefinition,
    albSecurityGroup: ec2.SecurityGroup,
  ): void {
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds non-secret configuration only (secret ARN, TLS mode, timings); the ' +
        'password is read at runtime through the task role, never injected.',
    });
    Validations.of(taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Execution role (used by the ECS agent, not the app): ecr:GetAuthorizationToken has no resource scope; ' +
        'image pull and log writes are scoped to the asset repository and the log group.',
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'The stack is environment-agnostic, and the principal that delivers ALB access logs depends on the ' +
        'region (CDK refuses logAccessLogs without one). Request-level evidence is in the app logs and ALB ' +
        'metrics; docs/deploy.md shows how to turn access logs on for a region-bound deployment.',
    });
    if (props.allowedCidr === '0.0.0.0/0') {
      Validations.of(albSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'The load balancer is the public entry point of the API; narrow it with -c allowedCidr=<cidr>.',
      });
    }
  }
}
