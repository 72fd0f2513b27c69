/**
 * Alarms, all to one SNS topic (optionally with an e-mail subscription):
 * - rotation failures as Secrets Manager reports them (CloudTrail `RotationFailed` and
 *   `RotationAbandoned` from aws.secretsmanager, through EventBridge);
 * - errors of the rotation function itself (a failed step, before Secrets Manager gives up);
 * - 5xx at the load balancer (from the targets and from the ALB itself, e.g. no healthy target);
 * - unhealthy targets.
 * A password change that reaches users shows up in the last two; the promise is that it never does.
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
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmsProps {
  rotationFunction: lambda.IFunction;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  /** Encrypt the topic with a customer-managed key (CloudWatch and EventBridge get to use it). */
  customerManagedKey: boolean;
  email: string | undefined;
}

export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

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

    const add = (alarmId: string, props: cloudwatch.AlarmProps): void => {
      const alarm = new cloudwatch.Alarm(this, alarmId, props);
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
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
  }
}
