/**
 * PostgreSQL on RDS, in the isolated `db` subnets.
 *
 * - The master password is managed by RDS in Secrets Manager (`manageMasterUserPassword`): RDS
 *   generates it, stores `{username, password}` in a secret tagged `aws:rds:primarydbinstancearn`,
 *   and rotates it itself (every 7 days). Nobody ever sees it in a template or a parameter.
 * - TLS is mandatory (`rds.force_ssl=1`); the server certificate is issued by RDS_CA_RSA2048_G1,
 *   which is in the CA bundle the app and the rotation function verify against (`verify-full`).
 * - Storage is encrypted (with the customer-managed key when one is given); backups are kept.
 * - Non-default port; the security group admits only the peers added with `allowFrom`.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export const MASTER_USERNAME = 'postgres';
/** The database the bootstrap creates and the app uses. */
export const APP_DATABASE = 'app';

export interface PostgresDatabaseProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  port: number;
  instanceType: string;
  allocatedStorageGiB: number;
  multiAz: boolean;
  deletionProtection: boolean;
  backupRetentionDays: number;
  /** Customer-managed key for storage and the master secret; the AWS-managed keys when absent. */
  key: kms.IKey | undefined;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  /** The RDS-managed master secret, `{username, password}`. */
  readonly masterSecret: secretsmanager.ISecret;
  readonly port: number;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    this.port = props.port;
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: ingress only from the service, the rotation function and the bootstrap',
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'TLS only, SCRAM passwords, connection logging',
      parameters: {
        'rds.force_ssl': '1',
        password_encryption: 'scram-sha-256',
        log_connections: '1',
        log_disconnections: '1',
      },
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      port: props.port,
      credentials: rds.Credentials.fromUsername(
        MASTER_USERNAME,
        props.key ? { encryptionKey: props.key } : {},
      ),
      manageMasterUserPassword: true,
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      storageEncrypted: true,
      ...(props.key && { storageEncryptionKey: props.key }),
      multiAz: props.multiAz,
      deletionProtection: props.deletionProtection,
      backupRetention: Duration.days(props.backupRetentionDays),
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    if (!this.instance.secret) throw new Error('RDS did not expose its managed master secret');
    this.masterSecret = this.instance.secret;

    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason:
          'Multi-AZ is off by the dev profile only (a throw-away lab database); the prod profile turns it on.',
      });
    }
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is off by the dev profile only, so `cdk destroy` ends the lab; prod turns it on.',
      });
    }
  }

  /** Admits `peer` on the database port, and nothing else. */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(this.port), description);
  }
}
