/**
 * The VPC: public subnets for the load balancer, `app` subnets for the Fargate tasks and the two
 * Lambda functions, isolated `db` subnets for PostgreSQL.
 *
 * Egress of the `app` subnets is a choice:
 * - `nat`: private subnets with a NAT gateway (the tasks can reach anything on the internet);
 * - `endpoints`: isolated subnets that reach AWS only through VPC endpoints (ECR api and dkr, the S3
 *   gateway for image layers, CloudWatch Logs, Secrets Manager). No NAT gateway, no internet.
 * The Secrets Manager interface endpoint exists in both modes: the tasks, the rotation function and
 * the bootstrap function talk to Secrets Manager without leaving the VPC.
 *
 * Flow logs of all traffic go to CloudWatch Logs.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EgressMode } from './config.js';

export interface NetworkProps {
  maxAzs: number;
  egress: EgressMode;
  natGateways: number;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export const SUBNET_GROUPS = { public: 'public', app: 'app', db: 'db' } as const;

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the tasks and the Lambda functions run. */
  readonly appSubnets: ec2.SubnetSelection;
  readonly dbSubnets: ec2.SubnetSelection;
  readonly publicSubnets: ec2.SubnetSelection;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** Endpoints the tasks need before they can start (all of them in `endpoints` mode). */
  readonly endpoints: Construct[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const nat = props.egress === 'nat';

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: props.maxAzs,
      natGateways: nat ? props.natGateways : 0,
      // The default security group is never used; restricting it would add a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: SUBNET_GROUPS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        {
          name: SUBNET_GROUPS.app,
          subnetType: nat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 22,
        },
        { name: SUBNET_GROUPS.db, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    this.publicSubnets = { subnetGroupName: SUBNET_GROUPS.public };
    this.appSubnets = { subnetGroupName: SUBNET_GROUPS.app };
    this.dbSubnets = { subnetGroupName: SUBNET_GROUPS.db };

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Always: the app and the rotation function read and write secrets without leaving the VPC.
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: this.appSubnets,
      privateDnsEnabled: true,
    });
    this.endpoints.push(this.secretsManagerEndpoint);

    if (!nat) {
      for (const [name, service] of [
        ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
        ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
        ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ] as const) {
        this.endpoints.push(
          this.vpc.addInterfaceEndpoint(name, { service, subnets: this.appSubnets, privateDnsEnabled: true }),
        );
      }
      // Image layers come from S3.
      this.endpoints.push(
        this.vpc.addGatewayEndpoint('S3', {
          service: ec2.GatewayVpcEndpointAwsService.S3,
          subnets: [this.appSubnets],
        }),
      );
    }

    for (const endpoint of this.endpoints) {
      if (!(endpoint instanceof ec2.InterfaceVpcEndpoint)) continue;
      for (const sg of endpoint.connections.securityGroups) {
        Validations.of(sg).acknowledge({
          id: 'AwsSolutions-EC23',
          reason:
            'Interface endpoint security group: ingress is HTTPS from the VPC CIDR only; the rule cannot ' +
            'evaluate the CIDR because it is a CloudFormation reference.',
        });
      }
    }
  }
}
