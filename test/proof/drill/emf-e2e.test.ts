/**
 * The app as a process with CLOUDWATCH_EMF_SERVICE set, through real rotations of both strategies on the
 * embedded stack: the records it writes to stdout are what CloudWatch would extract. Every metric
 * of app/src/metric-names.ts (which the dashboard and alarms are tested against) is written with
 * its dimensions; the dimension values stay in their closed sets; no password is in any record.
 *
 * Single user: one rotation is held after testSecret with the app's connections terminated, so the
 * database refuses AWSCURRENT and the app recovers onto AWSPENDING (the single-user window).
 * Alternating users: two rotations swap pools; then the database is stopped, so requests find no
 * connection and readiness goes 503.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_METRICS,
  EMF_NAMESPACE,
  dimensionsOf,
  type AppMetricDefinition,
} from '../../../app/src/metric-names.js';
import { killAppConnections } from '../../../proof/drill/database-checks.js';
import {
  collectPasswords,
  prepareEnvironment,
  type DrillEnvironment,
} from '../../../proof/drill/environment.js';
import { scanForPasswords } from '../../../proof/drill/leaks.js';
import { parseDrillArgs } from '../../../proof/drill/options.js';
import type { RotationStrategy } from '../../../rotation/config.js';
import { isEmfRecord, parseEmfLines, type EmfRecord } from '../../helpers/emf.js';

const SERVICE = 'orders-emf-test';

interface Run {
  records: EmfRecord[];
  emfLines: string[];
  taskLines: string[];
  passwords: Set<string>;
  exitCode: number | null;
  /** `/metrics` just before SIGTERM. */
  prometheus: string;
}

const runs = new Map<RotationStrategy, Run>();
const environments: DrillEnvironment[] = [];
afterAll(async () => {
  await Promise.all(environments.map((e) => e.stop()));
});

async function request(url: string): Promise<number> {
  const response = await fetch(`${url}/api/products?limit=5`, { signal: AbortSignal.timeout(15_000) });
  await response.arrayBuffer();
  return response.status;
}

/** Runs the app through `rotations` rotations of `strategy`, then stops it; its EMF records. */
async function runWithRotations(strategy: RotationStrategy): Promise<Run> {
  const options = parseDrillArgs(['--strategy', strategy, '--tasks', '1', '--refresh-seconds', '1'], {});
  const env = await prepareEnvironment(options, () => undefined, {
    CLOUDWATCH_EMF_SERVICE: SERVICE,
  });
  environments.push(env);
  const [task] = env.tasks;
  const stack = env.embedded?.stack;
  if (!task || !stack) throw new Error('the embedded drill environment started no task');
  expect(await request(task.url)).toBe(200);

  if (strategy === 'single-user') {
    // Held after testSecret: the database has the new password, AWSCURRENT is still the old one.
    let held = false;
    env.embedded?.setStepHook(async (step) => {
      if (held || step.step !== 'testSecret' || step.errorType !== undefined) return;
      held = true;
      await killAppConnections(env);
      expect(await request(task.url)).toBe(200);
      await task.waitForLine(/"stage":"AWSPENDING".*database credentials adopted/);
    });
  }
  for (let i = 0; i < 2; i++) {
    const rotation = await env.rotate();
    expect(rotation, rotation.error).toMatchObject({ ok: true });
    await task.waitForLine(new RegExp(`"versionId":"${rotation.versionId}".*database credentials adopted`));
    if (strategy === 'alternating-users')
      await task.waitForLine(new RegExp(`"generation":${i + 2}.*database pool swapped`));
    expect(await request(task.url)).toBe(200);
  }

  if (strategy === 'alternating-users') {
    await stack.postgres.stopServer();
    expect(await request(task.url)).toBe(503);
    await task.waitForLine(/database unreachable; readiness is failing/);
  }

  const passwords = await collectPasswords(env);
  const prometheus = await fetch(`${task.url}/metrics`).then((r) => r.text());
  const [exitCode = null] = await env.stopTasks();
  const taskLines = [...task.lines];
  const emfLines = taskLines.filter(isEmfRecord);
  return { records: parseEmfLines(emfLines), emfLines, taskLines, passwords, exitCode, prometheus };
}

const recordsOf = (run: Run | undefined, metric: AppMetricDefinition) =>
  (run?.records ?? []).filter((r) => r.metrics.some((m) => m.name === metric.name));

const sumOf = (records: EmfRecord[], metric: AppMetricDefinition, dimensions: Record<string, string> = {}) =>
  records
    .filter((r) => Object.entries(dimensions).every(([k, v]) => r.dimensions[k] === v))
    .map((r) => r.values[metric.name])
    .flat()
    .reduce<number>((sum, v) => sum + (v ?? 0), 0);

describe('CloudWatch EMF records of a process through rotations', () => {
  it.each(['single-user', 'alternating-users'] as const)(
    '%s: the process writes EMF records and exits cleanly',
    { timeout: 120_000 },
    async (strategy) => {
      const run = await runWithRotations(strategy);
      runs.set(strategy, run);
      expect(run.exitCode).toBe(0);
      expect(run.records.length).toBeGreaterThan(0);
      // Every record is a whole line of its own, never interleaved with a log line.
      for (const line of run.emfLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    },
  );

  it('writes every metric of metric-names.ts, with its dimensions and nothing else', () => {
    const all = [...runs.values()].flatMap((r) => r.records);
    expect(runs.size).toBe(2);
    const known = new Map<string, AppMetricDefinition>(Object.values(APP_METRICS).map((m) => [m.name, m]));
    for (const record of all) {
      expect(record.namespace).toBe(EMF_NAMESPACE);
      expect(record.dimensions.Service).toBe(SERVICE);
      for (const { name, unit } of record.metrics) {
        const definition = known.get(name);
        expect(definition, `${name} is not in metric-names.ts`).toBeDefined();
        if (!definition) continue;
        expect(unit).toBe(definition.unit);
        expect(record.dimensionNames).toEqual(dimensionsOf(definition));
        for (const [dimension, values] of Object.entries(definition.values ?? {}))
          expect(values).toContain(record.dimensions[dimension]);
      }
    }
    for (const definition of known.values())
      expect(
        all.some((r) => r.metrics.some((m) => m.name === definition.name)),
        definition.name,
      ).toBe(true);
  });

  it('single user: the window shows as an AWSPENDING adoption, a recovery and the on-AWSPENDING gauge', () => {
    const run = runs.get('single-user');
    const adoptions = recordsOf(run, APP_METRICS.credentialAdoptions);
    expect(sumOf(adoptions, APP_METRICS.credentialAdoptions, { Stage: 'AWSPENDING' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sumOf(adoptions, APP_METRICS.credentialAdoptions, { Stage: 'AWSCURRENT' })).toBeGreaterThanOrEqual(
      1,
    );
    const recoveries = recordsOf(run, APP_METRICS.authFailureRecoveries);
    expect(
      sumOf(recoveries, APP_METRICS.authFailureRecoveries, { Outcome: 'recovered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sumOf(recoveries, APP_METRICS.authFailureRecoveries, { Outcome: 'exhausted' })).toBe(0);
    const onPending = recordsOf(run, APP_METRICS.credentialsOnPending).map(
      (r) => r.values[APP_METRICS.credentialsOnPending.name],
    );
    // The gauge reports the highest value of its interval: the window is not lost between flushes.
    expect(onPending).toContain(1);
    // Both outputs come from the same calls: Prometheus counted the same adoptions, and shows the
    // task back on AWSCURRENT once the rotation finished.
    expect(run?.prometheus).toContain('db_credential_adoptions_total{stage="AWSPENDING"} 1');
    expect(run?.prometheus).toMatch(/^db_credentials_on_pending 0$/m);
    expect(recordsOf(run, APP_METRICS.poolSwaps)).toEqual([]);
  });

  it('alternating users: two swaps with their duration, then acquire failures and readiness going 503', () => {
    const run = runs.get('alternating-users');
    expect(sumOf(recordsOf(run, APP_METRICS.poolSwaps), APP_METRICS.poolSwaps)).toBe(2);
    const durations = recordsOf(run, APP_METRICS.poolSwapDuration).flatMap((r) => r.values.PoolSwapDuration);
    expect(durations).toHaveLength(2);
    for (const ms of durations) expect(ms).toBeGreaterThan(0);
    expect(
      sumOf(recordsOf(run, APP_METRICS.credentialAdoptions), APP_METRICS.credentialAdoptions, {
        Stage: 'AWSCURRENT',
      }),
    ).toBe(2);
    const failures = recordsOf(run, APP_METRICS.connectionAcquireFailures);
    expect(sumOf(failures, APP_METRICS.connectionAcquireFailures)).toBeGreaterThanOrEqual(1);
    const readiness = recordsOf(run, APP_METRICS.readinessTransitions);
    expect(sumOf(readiness, APP_METRICS.readinessTransitions, { State: 'ready' })).toBe(1);
    expect(sumOf(readiness, APP_METRICS.readinessTransitions, { State: 'unready' })).toBe(1);
    const calls = recordsOf(run, APP_METRICS.secretsManagerCalls);
    expect(
      sumOf(calls, APP_METRICS.secretsManagerCalls, { Operation: 'DescribeSecret', Outcome: 'success' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('no password of the run in any record; the drill’s leak scan reads them with the rest of stdout', () => {
    for (const [strategy, run] of runs) {
      expect(run.passwords.size, strategy).toBeGreaterThanOrEqual(3);
      const emfOnly = scanForPasswords([{ source: 'emf', lines: run.emfLines }], run.passwords);
      expect(emfOnly.linesScanned).toBe(run.emfLines.length);
      expect(emfOnly.occurrences).toBe(0);
      const whole = scanForPasswords([{ source: 'task1', lines: run.taskLines }], run.passwords);
      expect(whole.linesScanned).toBeGreaterThan(run.emfLines.length);
      expect(whole.occurrences).toBe(0);
    }
  });
});
