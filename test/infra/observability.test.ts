/**
 * The dashboard and the alarms on the app's credential metrics: every metric they name is one the
 * app writes (app/src/metric-names.ts), with its dimensions; one period everywhere; every alarm to
 * the topic, with a description that says what to do and a deliberate treatMissingData.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_ALARM_FRACTION, PERIOD, ROTATION_WINDOW } from '../../infra/lib/app-metrics.js';
import { ROTATION_STEP_METRIC } from '../../infra/lib/dashboard.js';
import { CONTAINER_NAME } from '../../infra/lib/service.js';
import {
  APP_METRICS,
  EMF_NAMESPACE,
  SERVICE_DIMENSION,
  dimensionsOf,
  type AppMetricDefinition,
} from '../../app/src/metric-names.js';
import { STEPS } from '../../rotation/handler.js';
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
  synth = synthesize({}, { bundle: false });
});
afterAll(removeAssemblies);

const byName = new Map<string, AppMetricDefinition>(Object.values(APP_METRICS).map((m) => [m.name, m]));

interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, unknown>;
  period: number;
  stat: string;
}

type Widget = {
  type: string;
  properties: { title?: string; period?: number; metrics?: unknown[][]; query?: string };
};

/** The dashboard body with every CloudFormation token replaced by "TOKEN" (it is JSON once joined). */
function dashboardWidgets(): Widget[] {
  const [, dashboard] = onlyResource(synth.template, 'AWS::CloudWatch::Dashboard');
  const body = dashboard.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** `[namespace, name, dim, value, ..., {options}]` rows of a widget (expressions left out). */
function metricRows(widget: Widget): MetricRef[] {
  const rows: MetricRef[] = [];
  for (const row of widget.properties.metrics ?? []) {
    const options = row.at(-1) as { period: number; stat: string; expression?: string };
    if (options.expression !== undefined) continue;
    const [namespace, name, ...rest] = row.slice(0, -1) as string[];
    const dimensions: Record<string, unknown> = {};
    for (let i = 0; i < rest.length; i += 2) dimensions[rest[i] as string] = rest[i + 1];
    rows.push({
      namespace: namespace ?? '',
      name: name ?? '',
      dimensions,
      period: options.period,
      stat: options.stat,
    });
  }
  return rows;
}

type AlarmProps = {
  AlarmDescription: string;
  AlarmActions: unknown[];
  TreatMissingData: string;
  Threshold: number;
  EvaluationPeriods: number;
  ComparisonOperator: string;
  Namespace?: string;
  MetricName?: string;
  Period?: number;
  Statistic?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
      Period: number;
      Stat: string;
    };
  }[];
};

function alarm(construct: { node: { defaultChild?: unknown } }): AlarmProps {
  const id = logicalId(synth, construct);
  return resourcesOf(synth.template, 'AWS::CloudWatch::Alarm')[id]?.Properties as AlarmProps;
}

/** Every metric an alarm reads, single or inside a math expression. */
function alarmMetrics(props: AlarmProps): MetricRef[] {
  const dims = (d: { Name: string; Value: unknown }[] = []) =>
    Object.fromEntries(d.map((x) => [x.Name, x.Value]));
  if (props.MetricName !== undefined)
    return [
      {
        namespace: props.Namespace ?? '',
        name: props.MetricName,
        dimensions: dims(props.Dimensions),
        period: props.Period ?? 0,
        stat: props.Statistic ?? '',
      },
    ];
  return (props.Metrics ?? []).flatMap((m) =>
    m.MetricStat
      ? [
          {
            namespace: m.MetricStat.Metric.Namespace,
            name: m.MetricStat.Metric.MetricName,
            dimensions: dims(m.MetricStat.Metric.Dimensions),
            period: m.MetricStat.Period,
            stat: m.MetricStat.Stat,
          },
        ]
      : [],
  );
}

/** The app metric's name, dimensions and dimension values are the ones the app writes. */
function expectWrittenByTheApp(ref: MetricRef, service: unknown): void {
  const definition = byName.get(ref.name);
  expect(definition, `${ref.name} is not in app/src/metric-names.ts`).toBeDefined();
  if (!definition) return;
  expect(Object.keys(ref.dimensions).sort()).toEqual(dimensionsOf(definition).sort());
  expect(ref.dimensions[SERVICE_DIMENSION]).toBe(service);
  for (const [dimension, values] of Object.entries(definition.values ?? {}))
    expect(values).toContain(ref.dimensions[dimension]);
}

function serviceDimension(): unknown {
  const [, task] = onlyResource(synth.template, 'AWS::ECS::TaskDefinition');
  const containers = task.Properties?.ContainerDefinitions as {
    Name: string;
    Environment: { Name: string; Value: unknown }[];
  }[];
  const env = Object.fromEntries(
    (containers.find((c) => c.Name === CONTAINER_NAME)?.Environment ?? []).map((e) => [e.Name, e.Value]),
  );
  return env.CLOUDWATCH_EMF_SERVICE;
}

describe('the tasks write the metrics', () => {
  it('turn CloudWatch EMF on, with the stack as the Service dimension', () => {
    expect(serviceDimension()).toBe(synth.stack.stackName);
  });
});

describe('dashboard', () => {
  it('draws every widget on the same 1-minute period', () => {
    const widgets = dashboardWidgets().filter((w) => w.type === 'metric');
    expect(widgets.length).toBeGreaterThanOrEqual(12);
    for (const widget of widgets) {
      expect(widget.properties.period, widget.properties.title).toBe(PERIOD.toSeconds());
      for (const row of metricRows(widget)) expect(row.period, row.name).toBe(PERIOD.toSeconds());
    }
  });

  it('shows the rotation next to what the service did', () => {
    const names = new Set(
      dashboardWidgets().flatMap((w) => metricRows(w).map((r) => `${r.namespace}:${r.name}`)),
    );
    for (const expected of [
      'AWS/Lambda:Invocations',
      'AWS/Lambda:Errors',
      'AWS/Lambda:Duration',
      `${ROTATION_STEP_METRIC.namespace}:${ROTATION_STEP_METRIC.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.credentialAdoptions.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.credentialsOnPending.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.authFailureRecoveries.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.poolSwaps.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.poolSwapDuration.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.connectionAcquireFailures.name}`,
      `${EMF_NAMESPACE}:${APP_METRICS.readinessTransitions.name}`,
      'AWS/ApplicationELB:HTTPCode_ELB_5XX_Count',
      'AWS/ApplicationELB:HTTPCode_Target_5XX_Count',
      'AWS/ApplicationELB:TargetResponseTime',
      'AWS/ApplicationELB:HealthyHostCount',
      'AWS/RDS:DatabaseConnections',
    ])
      expect(names).toContain(expected);
    const p99 = dashboardWidgets()
      .flatMap(metricRows)
      .find((r) => r.name === 'TargetResponseTime');
    expect(p99?.stat).toBe('p99');
    // Secrets Manager calls: outcomes are error names (an open set), found by SEARCH on the same names.
    const search = JSON.stringify(dashboardWidgets());
    expect(search).toContain(
      `SEARCH('{${EMF_NAMESPACE},${dimensionsOf(APP_METRICS.secretsManagerCalls).join(',')}} MetricName=\\"${APP_METRICS.secretsManagerCalls.name}\\"`,
    );
  });

  it("names only metrics the app writes, with the app's dimensions and values", () => {
    const service = serviceDimension();
    const appRows = dashboardWidgets()
      .flatMap(metricRows)
      .filter((r) => r.namespace === EMF_NAMESPACE);
    expect(appRows.length).toBeGreaterThan(10);
    for (const row of appRows) expectWrittenByTheApp(row, service);
    // Every value of each closed dimension has its line, so nothing the app writes is left off.
    for (const definition of Object.values(APP_METRICS) as AppMetricDefinition[]) {
      for (const [dimension, values] of Object.entries(definition.values ?? {})) {
        if (definition === APP_METRICS.secretsManagerCalls) continue;
        const drawn = appRows.filter((r) => r.name === definition.name).map((r) => r.dimensions[dimension]);
        expect(drawn.sort()).toEqual([...values].sort());
      }
    }
  });

  it('turns the rotation function’s step lines into a duration per step, and lists them', () => {
    const [, filter] = onlyResource(synth.template, 'AWS::Logs::MetricFilter');
    const props = filter.Properties as {
      LogGroupName: unknown;
      FilterPattern: string;
      MetricTransformations: {
        MetricName: string;
        MetricNamespace: string;
        MetricValue: string;
        Dimensions: { Key: string; Value: string }[];
      }[];
    };
    expect(refId(props.LogGroupName)).toBe(logicalId(synth, synth.stack.appSecret.rotationLogGroup));
    expect(props.MetricTransformations).toEqual([
      expect.objectContaining({
        MetricName: ROTATION_STEP_METRIC.name,
        MetricNamespace: ROTATION_STEP_METRIC.namespace,
        MetricValue: '$.durationMs',
        Dimensions: [{ Key: ROTATION_STEP_METRIC.dimension, Value: '$.step' }],
      }),
    ]);
    // The fields and messages the filter and the query read are the ones the handler writes.
    const handler = readFileSync(new URL('../../rotation/handler.ts', import.meta.url), 'utf8');
    for (const message of ['step done', 'step failed']) {
      expect(props.FilterPattern).toContain(message);
      expect(handler).toContain(`'${message}'`);
    }
    expect(handler).toMatch(/durationMs: Date\.now\(\) - started/);
    expect(handler).toMatch(/step: rawStep/);
    const stepRows = dashboardWidgets()
      .flatMap(metricRows)
      .filter((r) => r.name === ROTATION_STEP_METRIC.name);
    expect(stepRows.map((r) => r.dimensions[ROTATION_STEP_METRIC.dimension])).toEqual([...STEPS]);
    const query = dashboardWidgets().find((w) => w.type === 'log')?.properties.query ?? '';
    expect(query).toContain('step done');
  });
});

describe('alarms on the credential metrics', () => {
  it('all seven go to the topic and say what to do', () => {
    const topic = logicalId(synth, synth.stack.alarms.topic);
    const alarms = Object.values(resourcesOf(synth.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(7);
    for (const a of alarms) {
      const props = a.Properties as AlarmProps;
      expect(props.AlarmActions.map(refId)).toEqual([topic]);
      expect(props.TreatMissingData).toBeDefined();
    }
  });

  it('a task on AWSPENDING for longer than the rotation window', () => {
    const props = alarm(synth.stack.alarms.stuckRotation);
    const [metric] = alarmMetrics(props);
    expect(metric?.name).toBe(APP_METRICS.credentialsOnPending.name);
    if (metric) expectWrittenByTheApp(metric, serviceDimension());
    expect(metric).toMatchObject({ namespace: EMF_NAMESPACE, stat: 'Maximum', period: PERIOD.toSeconds() });
    expect(props).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: ROTATION_WINDOW.toMinutes(),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(props.AlarmDescription).toMatch(/rotation function log.*rotate-secret/s);
  });

  it('auth-failure recoveries that ran out', () => {
    const props = alarm(synth.stack.alarms.authRecoveryExhausted);
    const [metric] = alarmMetrics(props);
    expect(metric?.name).toBe(APP_METRICS.authFailureRecoveries.name);
    if (metric) expectWrittenByTheApp(metric, serviceDimension());
    expect(metric?.dimensions.Outcome).toBe('exhausted');
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(props.AlarmDescription).toMatch(/AWSCURRENT/);
  });

  it('connection-acquire failures above zero for 3 minutes, every reason summed', () => {
    const props = alarm(synth.stack.alarms.connectionAcquireFailures);
    const metrics = alarmMetrics(props);
    for (const m of metrics) expectWrittenByTheApp(m, serviceDimension());
    expect(metrics.map((m) => m.dimensions.Reason).sort()).toEqual(
      [...APP_METRICS.connectionAcquireFailures.values.Reason].sort(),
    );
    expect(props.Metrics?.find((m) => m.Expression !== undefined)?.Expression).toMatch(
      /^FILL\(m0, 0\)( \+ FILL\(m\d, 0\))+$/,
    );
    expect(props).toMatchObject({
      Threshold: 0,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('RDS connections above a fraction of max_connections', () => {
    const props = alarm(synth.stack.alarms.databaseConnections);
    const [metric] = alarmMetrics(props);
    expect(metric).toMatchObject({ namespace: 'AWS/RDS', name: 'DatabaseConnections', stat: 'Maximum' });
    expect(props.Threshold).toBe(Math.floor(synth.config.dbMaxConnections * CONNECTIONS_ALARM_FRACTION));
    expect(props.AlarmDescription).toMatch(/max_connections/);
  });
});
