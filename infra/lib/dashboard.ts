/**
 * One CloudWatch dashboard that shows a rotation next to what the service did about it, every
 * widget on the same 1-minute period so a rotation reads as one vertical slice:
 *
 *   alarms
 *   rotation function: invocations and errors · duration per step · the steps, from its log
 *   credentials: adoptions by stage (+ on AWSPENDING) · auth-failure recoveries · Secrets Manager calls
 *   pools: swaps and swap duration · connection-acquire failures · readiness transitions
 *   users' view: ALB 5xx · target response time p99 · healthy hosts · RDS connections
 *
 * The app's metrics come from the tasks' embedded metric format records (app/src/metric-names.ts);
 * step durations from a metric filter on the rotation function's `step done` / `step failed` lines.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { STEPS } from '../../rotation/public.js';
import { CONNECTIONS_ALARM_FRACTION, PERIOD, type AppMetrics } from './app-metrics.js';

/** The metric filter's output: one data point per rotation step, its duration, by step name. */
export const ROTATION_STEP_METRIC = {
  namespace: 'RotatingCredentials/Rotation',
  name: 'RotationStepDuration',
  dimension: 'Step',
} as const;

export interface DashboardProps {
  appMetrics: AppMetrics;
  rotationFunction: lambda.IFunction;
  rotationLogGroup: logs.ILogGroup;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  database: rds.DatabaseInstance;
  /** The database's max_connections (the RDS connections widget draws it and the alarm line). */
  maxConnections: number;
  alarms: cloudwatch.IAlarm[];
}

const WIDTH = 8;
const HEIGHT = 6;

export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const app = props.appMetrics;
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: PERIOD, ...extra });

    new logs.MetricFilter(this, 'RotationStepDuration', {
      logGroup: props.rotationLogGroup,
      metricNamespace: ROTATION_STEP_METRIC.namespace,
      metricName: ROTATION_STEP_METRIC.name,
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.message', '=', 'step done'),
        logs.FilterPattern.stringValue('$.message', '=', 'step failed'),
      ),
      metricValue: '$.durationMs',
      dimensions: { [ROTATION_STEP_METRIC.dimension]: '$.step' },
      unit: cloudwatch.Unit.MILLISECONDS,
    });
    const stepDuration = STEPS.map(
      (step) =>
        new cloudwatch.Metric({
          namespace: ROTATION_STEP_METRIC.namespace,
          metricName: ROTATION_STEP_METRIC.name,
          dimensionsMap: { [ROTATION_STEP_METRIC.dimension]: step },
          statistic: 'Maximum',
          period: PERIOD,
          label: step,
        }),
    );

    const fn = props.rotationFunction;
    const tg = props.targetGroup;
    const lb = props.loadBalancer;
    const alarmLine = Math.floor(props.maxConnections * CONNECTIONS_ALARM_FRACTION);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: props.alarms,
            width: 24,
            height: 3,
          }),
        ],
        [
          graph('Rotation function: invocations and errors', [
            fn.metricInvocations({ period: PERIOD, statistic: 'Sum', label: 'invocations (one per step)' }),
            fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'errors' }),
          ]),
          graph('Rotation steps: duration (ms)', stepDuration, {
            right: [
              fn.metricDuration({ period: PERIOD, statistic: 'Maximum', label: 'function duration max' }),
            ],
          }),
          new cloudwatch.LogQueryWidget({
            title: 'Rotation steps, newest first',
            logGroupNames: [props.rotationLogGroup.logGroupName],
            view: cloudwatch.LogQueryVisualizationType.TABLE,
            queryLines: [
              'fields @timestamp, step, outcome, durationMs, message',
              'filter message = "step done" or message = "step failed"',
              'sort @timestamp desc',
              'limit 50',
            ],
            width: WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          graph('Credential adoptions by stage', app.byValue('credentialAdoptions'), {
            right: [app.metric('credentialsOnPending', {}, { label: 'a task on AWSPENDING (max)' })],
            rightYAxis: { min: 0, max: 1, showUnits: false },
          }),
          graph('Auth-failure recoveries by outcome', app.byValue('authFailureRecoveries')),
          graph('Secrets Manager calls by operation and outcome', [app.secretsManagerCalls()]),
        ],
        [
          graph('Pool swaps', [app.metric('poolSwaps', {}, { label: 'swaps' })], {
            right: [app.metric('poolSwapDuration', {}, { label: 'swap duration max (ms)' })],
          }),
          graph('Connection-acquire failures by reason', app.byValue('connectionAcquireFailures')),
          graph('Readiness transitions', app.byValue('readinessTransitions')),
        ],
        [
          graph(
            'ALB 5xx',
            [
              lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
                period: PERIOD,
                statistic: 'Sum',
                label: 'from the ALB',
              }),
              lb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
                period: PERIOD,
                statistic: 'Sum',
                label: 'from the targets',
              }),
            ],
            { width: 6 },
          ),
          graph(
            'Target response time p99 (s)',
            [lb.metrics.targetResponseTime({ period: PERIOD, statistic: 'p99', label: 'p99' })],
            { width: 6 },
          ),
          graph(
            'Hosts',
            [
              tg.metrics.healthyHostCount({ period: PERIOD, statistic: 'Minimum', label: 'healthy (min)' }),
              tg.metrics.unhealthyHostCount({
                period: PERIOD,
                statistic: 'Maximum',
                label: 'unhealthy (max)',
              }),
            ],
            { width: 6 },
          ),
          graph(
            'RDS connections (make-before-break peak at a swap)',
            [
              props.database.metricDatabaseConnections({
                period: PERIOD,
                statistic: 'Maximum',
                label: 'max',
              }),
            ],
            {
              width: 6,
              leftAnnotations: [
                { value: props.maxConnections, label: 'max_connections', color: cloudwatch.Color.RED },
                { value: alarmLine, label: 'alarm', color: cloudwatch.Color.ORANGE },
              ],
            },
          ),
        ],
      ],
    });
  }
}
