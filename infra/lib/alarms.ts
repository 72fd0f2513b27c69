/**
 * Alarms, all to one SNS topic (optionally with an e-mail subscription):
 * - rotation failures as Secrets Manager reports them (CloudTrail `RotationFailed` and
 *   `RotationAbandoned` from aws.secretsmanager, through EventBridge);
 * - errors of the rotation function itself (a failed step, before Secrets Manager gives up);
 * - 5xx at the load balancer (from the targets and from the ALB itself, e.g. no healthy target);
 * - unhealthy targets;
 * and, from the app's own metrics (embedded metric format records, app/src/metric-names.ts) and RDS:
 * - a task on the AWSPENDING version longer than a rotation takes (a stuck single-user rotation);
 * - auth-failure recoveries that ran out of time (requests failed on refused credentials);
 * - requests that got no database connection, minute after minute;
 * - database connections close to max_connections (a pool swap needs room for a second pool).
 * A password change that reaches users shows up in the 5xx and host alarms; the promise is that it
 * never does. Every alarm's description says what to do.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CONNECTIONS_ALARM_FRACTION, PERIOD, ROTATION_WINDOW, type AppMetrics } from './app-metrics.js';
import { DB_TUNING } from '../../app/src/index.js';

export interface AlarmsProps {
  rotationFunction: lambda.IFunction;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  /** Encrypt the topic with a customer-managed key (CloudWatch and EventBridge get to use it). */
  customerManagedKey: boolean;
  email: string | undefined;
  appMetrics: AppMetrics;
  database: rds.DatabaseInstance;
  /** The database's max_connections (config `dbMaxConnections`). */
  maxConnections: number;
}

export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly stuckRotation: cloudwatch.Alarm;
  readonly authRecoveryExhausted: cloudwatch.Alarm;
  readonly connectionAcquireFailures: cloudwatch.Alarm;
  readonly databaseConnections: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    let masterKey: kms.Key | undefined;
    if (props.customerManagedKey) {
      masterKey = new kms.Key(this, 'TopicKey', {
        description: 'Alarm topic encryption',
        enableKeyRotation: true,
      });
      // The publishers are services: they need the key, through SNS only.
      for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
        masterKey.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: `Publish-${service.split('.')[0] ?? service}`,
            principals: [new iam.ServicePrincipal(service)],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            resources: ['*'],
          }),
        );
      }
    }
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Rotating credentials: alarms',
      enforceSSL: true,
      ...(masterKey && { masterKey }),
    });
    if (!masterKey) {
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'dev profile: alarm messages carry names and times, no secrets; with customerManagedKey (prod) ' +
          'the topic is encrypted with a key CloudWatch and EventBridge may use.',
      });
    }
    if (props.email !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    const notify = new actions.SnsAction(this.topic);

    // Secrets Manager writes rotation outcomes to CloudTrail as service events.
    new events.Rule(this, 'RotationFailed', {
      description: 'Secrets Manager gave up on a rotation',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail', 'AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ROTATION_FAILURE_EVENTS,
        },
      },
      targets: [
        new targets.SnsTopic(this.topic, {
          message: events.RuleTargetInput.fromText(
            `Secrets Manager rotation ${events.EventField.fromPath('$.detail.eventName')} for ` +
              `${events.EventField.fromPath('$.detail.additionalEventData.SecretId')} at ` +
              `${events.EventField.fromPath('$.time')} in ${events.EventField.fromPath('$.region')}`,
          ),
        }),
      ],
    });

    const add = (alarmId: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, alarmId, props);
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
      return alarm;
    };

    add('RotationFunctionErrors', {
      alarmDescription: 'The rotation function failed a step (Secrets Manager retries, then gives up)',
      metric: props.rotationFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alb5xx = new cloudwatch.MathExpression({
      label: 'ALB and target 5xx',
      expression: 'FILL(elb, 0) + FILL(target, 0)',
      usingMetrics: {
        elb: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: Duration.minutes(1),
          statistic: 'Sum',
        }),
        target: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          period: Duration.minutes(1),
          statistic: 'Sum',
        }),
      },
      period: Duration.minutes(1),
    });
    add('Http5xx', {
      alarmDescription: '5xx responses at the load balancer (a rotation must never cause one)',
      metric: alb5xx,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('UnhealthyHosts', {
      alarmDescription: 'A target fails /health/ready',
      metric: props.targetGroup.metrics.unhealthyHostCount({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // --- From the app's EMF records and RDS: one data point per minute (PERIOD) ----------------
    const app = props.appMetrics;
    const windowMinutes = ROTATION_WINDOW.toMinutes();
    this.stuckRotation = add('StuckRotation', {
      alarmDescription:
        `A task has used the AWSPENDING version for ${windowMinutes} minutes: a single-user rotation stopped between ` +
        'setSecret and finishSecret (the database has the new password, AWSCURRENT still the old one). The tasks ' +
        'keep serving on it. Find the failed step in the rotation function log (RotationLogGroup), fix its cause, ' +
        'then `aws secretsmanager rotate-secret` to finish; do not remove AWSPENDING while tasks use it.',
      metric: app.metric('credentialsOnPending'),
      threshold: 1,
      evaluationPeriods: windowMinutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No record means no task is writing metrics: the unhealthy-hosts alarm covers that, not this one.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.authRecoveryExhausted = add('AuthRecoveryExhausted', {
      alarmDescription:
        `Requests failed because the database refused every version of the secret for ${DB_TUNING.authRetrySeconds} s (the app's retry bound): the ` +
        "secret and the database role disagree. Compare the secret's AWSCURRENT username with the roles (a " +
        'rotation that failed half way, or a password changed outside Secrets Manager), then rotate again or set ' +
        "the role's password from AWSCURRENT. The Recoveries widget shows whether it is still happening.",
      metric: app.metric('authFailureRecoveries', { Outcome: 'exhausted' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // A recovery that never ran out writes no `exhausted` point at all: missing is the healthy state.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.connectionAcquireFailures = add('ConnectionAcquireFailures', {
      alarmDescription:
        'Requests got no database connection (503) in each of the last 3 minutes. The dashboard widget splits them ' +
        'by Reason: auth (see AuthRecoveryExhausted), capacity (RDS connections at max_connections: raise it, or ' +
        'lower DB_POOL_MAX or the task count), timeout or lost (the database is unreachable, failing over or ' +
        'overloaded: check RDS events and CPU).',
      metric: app.total('connectionAcquireFailures', 'connection-acquire failures'),
      threshold: 0,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No failure writes no point; a minute without one ends the streak.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const connectionsThreshold = Math.floor(props.maxConnections * CONNECTIONS_ALARM_FRACTION);
    this.databaseConnections = add('DatabaseConnections', {
      alarmDescription:
        `RDS connections above ${connectionsThreshold} (${CONNECTIONS_ALARM_FRACTION * 100} % of max_connections ` +
        `${props.maxConnections}) for 3 minutes. A pool swap (alternating users) briefly needs room for a second ` +
        'warmed pool, and a full server refuses it. Raise max_connections (parameter group) or the instance class, ' +
        'or lower DB_POOL_MAX or maxCapacity; look for clients other than the tasks in pg_stat_activity.',
      metric: props.database.metricDatabaseConnections({ period: PERIOD, statistic: 'Maximum' }),
      threshold: connectionsThreshold,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // RDS reports every minute while the instance runs; a gap is an outage the other alarms report.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
