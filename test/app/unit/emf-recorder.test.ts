import { describe, expect, it } from 'vitest';
import { EmfRecorder } from '../../../app/src/emf-recorder.js';
import {
  APP_METRICS,
  EMF_NAMESPACE,
  dimensionsOf,
  type AppMetricDefinition,
} from '../../../app/src/metric-names.js';
import { createMetrics } from '../../../app/src/metrics.js';
import { parseEmfLines, type EmfRecord } from '../../helpers/emf.js';

function setup() {
  const lines: string[] = [];
  // CloudWatch (and the library) refuse timestamps more than two weeks old: stay near the real clock.
  const start = Math.floor(Date.now() / 60_000) * 60_000;
  let now = start;
  const errors: unknown[] = [];
  const emf = new EmfRecorder({
    service: 'orders-test',
    write: (line) => lines.push(line),
    onError: (err) => errors.push(err),
    now: () => now,
  });
  const metrics = createMetrics({ defaultMetrics: false, emf });
  return {
    emf,
    metrics,
    lines,
    errors,
    records: () => parseEmfLines(lines),
    start,
    advance: (ms: number) => (now += ms),
  };
}

const valueOf = (records: EmfRecord[], metric: AppMetricDefinition, dims: Record<string, string>) =>
  records
    .filter((r) => r.metrics.some((m) => m.name === metric.name))
    .filter((r) => Object.entries(dims).every(([k, v]) => r.dimensions[k] === v))
    .map((r) => r.values[metric.name]);

describe('CloudWatch EMF output', () => {
  it('writes every credential metric, under its name, unit and dimensions, once per interval', async () => {
    const t = setup();
    const m = t.metrics;
    m.secretsManagerCalls.inc({ operation: 'DescribeSecret', outcome: 'success' });
    m.secretsManagerCalls.inc({ operation: 'DescribeSecret', outcome: 'success' });
    m.secretsManagerCalls.inc({ operation: 'GetSecretValue', outcome: 'ThrottlingException' });
    for (const stage of APP_METRICS.credentialAdoptions.values.Stage) m.credentialAdoptions.inc({ stage });
    for (const outcome of APP_METRICS.authFailureRecoveries.values.Outcome)
      m.authFailureRecoveries.inc({ outcome });
    for (const reason of APP_METRICS.connectionAcquireFailures.values.Reason)
      m.connectionAcquireFailures.inc({ reason });
    for (const to of APP_METRICS.readinessTransitions.values.State) m.readinessTransitions.inc({ to });
    m.poolSwaps.inc();
    m.poolSwapDuration.observe(0.012);
    m.poolSwapDuration.observe(0.04);
    m.credentialsOnPending.set(1);
    m.credentialsOnPending.set(0);
    await t.emf.flush();

    const records = t.records();
    expect(t.errors).toEqual([]);
    for (const record of records) expect(record.namespace).toBe(EMF_NAMESPACE);
    for (const metric of Object.values(APP_METRICS)) {
      const own = records.filter((r) => r.metrics.some((x) => x.name === metric.name));
      expect(own.length, metric.name).toBeGreaterThan(0);
      for (const record of own) {
        expect(record.dimensionNames).toEqual(dimensionsOf(metric));
        expect(record.dimensions.Service).toBe('orders-test');
        expect(record.metrics.find((x) => x.name === metric.name)?.unit).toBe(metric.unit);
      }
    }
    expect(valueOf(records, APP_METRICS.secretsManagerCalls, { Operation: 'DescribeSecret' })).toEqual([2]);
    expect(
      valueOf(records, APP_METRICS.secretsManagerCalls, {
        Operation: 'GetSecretValue',
        Outcome: 'ThrottlingException',
      }),
    ).toEqual([1]);
    for (const [metric, dimension] of [
      [APP_METRICS.credentialAdoptions, 'Stage'],
      [APP_METRICS.authFailureRecoveries, 'Outcome'],
      [APP_METRICS.connectionAcquireFailures, 'Reason'],
      [APP_METRICS.readinessTransitions, 'State'],
    ] as const) {
      const values = (metric.values as Record<string, readonly string[]>)[dimension] ?? [];
      for (const value of values) expect(valueOf(records, metric, { [dimension]: value })).toEqual([1]);
    }
    expect(valueOf(records, APP_METRICS.poolSwaps, {})).toEqual([1]);
    expect(valueOf(records, APP_METRICS.poolSwapDuration, {})).toEqual([[12, 40]]);
    // A gauge reports the highest value of the interval: a short spell on AWSPENDING is not lost.
    expect(valueOf(records, APP_METRICS.credentialsOnPending, {})).toEqual([1]);
  });

  it('writes nothing for an idle interval but the gauges, at their current value', async () => {
    const t = setup();
    t.metrics.poolSwaps.inc();
    t.metrics.credentialsOnPending.set(1);
    t.metrics.credentialsOnPending.set(0);
    await t.emf.flush();
    t.lines.length = 0;
    t.advance(60_000);
    await t.emf.flush();
    const records = t.records();
    expect(records).toHaveLength(1);
    expect(records[0]?.metrics.map((m) => m.name)).toEqual([APP_METRICS.credentialsOnPending.name]);
    expect(records[0]?.values).toEqual({ CredentialsOnPending: 0 });
    expect(records[0]?.timestamp).toBe(t.start + 60_000);
  });

  it('keeps Prometheus and EMF in step: the same increments reach /metrics', async () => {
    const t = setup();
    t.metrics.credentialAdoptions.inc({ stage: 'AWSCURRENT' }, 3);
    t.metrics.connectionAcquireFailures.inc({ reason: 'lost' });
    const text = await t.metrics.registry.metrics();
    expect(text).toContain('db_credential_adoptions_total{stage="AWSCURRENT"} 3');
    expect(text).toContain('db_connection_acquire_failures_total{reason="lost"} 1');
    await t.emf.flush();
    expect(valueOf(t.records(), APP_METRICS.credentialAdoptions, { Stage: 'AWSCURRENT' })).toEqual([3]);
  });

  it('drops a record it cannot write and reports it, without throwing', async () => {
    const t = setup();
    t.metrics.secretsManagerCalls.inc({ operation: 'DescribeSecret', outcome: 'bad\u00e9' });
    t.metrics.poolSwaps.inc();
    await t.emf.flush();
    expect(t.errors).toHaveLength(1);
    expect(t.records().map((r) => r.metrics.map((m) => m.name))).toEqual([['PoolSwaps']]);
  });

  it('writes the last interval on close', async () => {
    const t = setup();
    t.emf.start();
    t.metrics.poolSwaps.inc();
    await t.emf.close();
    expect(valueOf(t.records(), APP_METRICS.poolSwaps, {})).toEqual([1]);
  });
});
