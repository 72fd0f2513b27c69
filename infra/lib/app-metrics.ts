/**
 * The app's CloudWatch metrics (written by the tasks as embedded metric format records, see
 * app/src/metric-names.ts) as CDK metric objects, plus the one period every widget and alarm uses,
 * so a rotation reads as one vertical slice across the dashboard.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  APP_METRICS,
  EMF_NAMESPACE,
  SERVICE_DIMENSION,
  type AppMetricDefinition,
  type AppMetricKey,
} from '../../app/src/index.js';

/** CloudWatch's standard resolution, and the interval at which the tasks write their records. */
export const PERIOD = Duration.minutes(1);

/**
 * How long a task may run on the AWSPENDING version before the rotation counts as stuck. Secrets
 * Manager runs the four steps one after another, each bounded by the rotation function's 1-minute
 * timeout; the app returns to AWSCURRENT within one health-check cycle (30 s) of finishSecret.
 */
export const ROTATION_WINDOW = Duration.minutes(15);

/** Fraction of the database's max_connections above which connections alarm. */
export const CONNECTIONS_ALARM_FRACTION = 0.8;

export class AppMetrics {
  /** `service`: the value of the Service dimension (the task definition's CLOUDWATCH_EMF_SERVICE). */
  constructor(readonly service: string) {}

  /** One metric, for one value of each of its dimensions besides Service. */
  metric(
    key: AppMetricKey,
    dimensions: Record<string, string> = {},
    props: { label?: string; statistic?: string } = {},
  ): cloudwatch.Metric {
    const definition: AppMetricDefinition = APP_METRICS[key];
    const expected = Object.values(definition.labels).sort();
    const given = Object.keys(dimensions).sort();
    if (JSON.stringify(expected) !== JSON.stringify(given)) {
      throw new Error(`${definition.name} has dimensions ${expected.join(', ') || 'none'} besides Service`);
    }
    return new cloudwatch.Metric({
      namespace: EMF_NAMESPACE,
      metricName: definition.name,
      dimensionsMap: { [SERVICE_DIMENSION]: this.service, ...dimensions },
      statistic: props.statistic ?? definition.statistic,
      period: PERIOD,
      ...(props.label !== undefined && { label: props.label }),
    });
  }

  /** One line per value of a metric's closed dimension (Stage, Outcome, Reason, State). */
  byValue(key: AppMetricKey): cloudwatch.Metric[] {
    const definition: AppMetricDefinition = APP_METRICS[key];
    const [dimension] = Object.values(definition.labels);
    const values = dimension === undefined ? undefined : definition.values?.[dimension];
    if (dimension === undefined || values === undefined)
      throw new Error(`${definition.name} has no closed dimension`);
    return values.map((value) => this.metric(key, { [dimension]: value }, { label: value }));
  }

  /** The sum over every value of the metric's closed dimension; 0 when nothing was written. */
  total(key: AppMetricKey, label: string): cloudwatch.MathExpression {
    const lines = this.byValue(key);
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    lines.forEach((metric, i) => (usingMetrics[`m${i}`] = metric));
    return new cloudwatch.MathExpression({
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      label,
      period: PERIOD,
    });
  }

  /** Every Outcome of the Secrets Manager calls, an open set (error names), found by SEARCH. */
  secretsManagerCalls(): cloudwatch.MathExpression {
    const m = APP_METRICS.secretsManagerCalls;
    const schema = [EMF_NAMESPACE, SERVICE_DIMENSION, ...Object.values(m.labels)].join(',');
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${schema}} MetricName="${m.name}" ${SERVICE_DIMENSION}="${this.service}"', 'Sum', ${PERIOD.toSeconds()})`,
      usingMetrics: {},
      label: '',
      period: PERIOD,
    });
  }
}
