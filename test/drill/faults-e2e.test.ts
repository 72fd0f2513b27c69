/**
 * Every fault mode of the drill, short, one after the other (each starts its own embedded stack and
 * two app processes): each must pass its own checks with 0 unexpected failures and no leaked
 * password. Then one that must fail: the naive app cannot follow a rotation after an outage.
 */
import { describe, expect, it } from 'vitest';
import type { FaultName } from '../../local/drill/faults/fault.js';

import { runDrillProcess, type DrillRun } from '../helpers/drill-process.js';

const SHORT = ['--rate', '40', '--tasks', '2', '--rotations', '1', '--refresh-seconds', '2'];

async function faultDrill(fault: FaultName, extra: string[] = []) {
  const run = await runDrillProcess(['--fault', fault, '--duration', '20', ...SHORT, ...extra]);
  console.log(`fault ${fault}: ${run.seconds.toFixed(1)} s, exit ${run.code}`);
  return run;
}

function expectPass(run: DrillRun, fault: FaultName) {
  const { report } = run;
  expect(run.code, run.out).toBe(0);
  expect(report.verdict).toEqual({ pass: true, reasons: [] });
  expect(report.fault?.name).toBe(fault);
  expect(report.fault?.checks.length).toBeGreaterThan(0);
  for (const c of report.fault?.checks ?? []) expect(c, c.detail).toMatchObject({ pass: true });
  expect(report.totals.failed).toBe(report.fault?.expectedFailures);
  expect(report.totals.dropped).toBe(0);
  expect(report.writes).toMatchObject({ lost: 0, duplicated: 0, mismatched: 0 });
  expect(report.leaks.occurrences + (report.leaks.reportFileOccurrences ?? 0)).toBe(0);
  expect(report.appPrincipal?.pass).toBe(true);
  expect(run.html).toContain(report.fault?.events[0]?.label ?? 'no event');
  return report.fault?.figures ?? {};
}

describe('npm run drill -- --fault', { timeout: 120_000 }, () => {
  it('sm-outage: serves on cached credentials, bounded calls, adopts after recovery', async () => {
    const figures = expectPass(await faultDrill('sm-outage'), 'sm-outage');
    expect(figures.callsDuringOutageTotal).toBeGreaterThan(0);
    expect(figures.callsDuringOutageTotal as number).toBeLessThanOrEqual(figures.callBound as number);
  });

  it('kill-connections: no failed read, no partial order', async () => {
    const figures = expectPass(await faultDrill('kill-connections'), 'kill-connections');
    expect(figures).toMatchObject({ failedReads: 0, otherWriteFailures: 0, partialOrders: 0 });
  });

  it('db-restart: readiness fails during the outage and returns, only clean 503s, no crash', async () => {
    const run = await faultDrill('db-restart');
    const figures = expectPass(run, 'db-restart');
    // requests in the outage did fail (as 503): the fault really happened
    expect(run.report.fault?.expectedFailures).toBeGreaterThan(0);
    expect(figures.readinessRecoveryMs).toEqual([expect.any(Number), expect.any(Number)]);
    expect(run.report.tasks.every((t) => t.exitCode === 0)).toBe(true);
  });

  it('sigterm: a rolling restart fails no request', async () => {
    const run = await runDrillProcess(['--fault', 'sigterm', '--duration', '30', ...SHORT]);
    expectPass(run, 'sigterm');
    expect(run.report.tasks).toHaveLength(4);
    expect(run.report.tasks.every((t) => t.exitCode === 0)).toBe(true);
  });

  it('bad-secret: keeps the old credentials, one clear error per bad version, recovers', async () => {
    const run = await faultDrill('bad-secret');
    expectPass(run, 'bad-secret');
    // the bad versions' passwords were part of the hygiene scan
    expect(run.report.leaks.passwordsChecked).toBeGreaterThanOrEqual(5);
  });

  it('single-user-window: serves through AWSPENDING while AWSCURRENT lags', async () => {
    const run = await faultDrill('single-user-window');
    expect(run.report.options.strategy).toBe('single-user');
    expectPass(run, 'single-user-window');
  });

  it('fails the naive app on sm-outage: it never adopts the rotated version', async () => {
    const run = await faultDrill('sm-outage', ['--app', 'naive']);
    expect(run.code, run.out).toBe(1);
    const adoption = run.report.fault?.checks.find((c) => c.name.startsWith('every task adopted'));
    expect(adoption?.pass).toBe(false);
    expect(run.report.verdict.reasons.join('\n')).toMatch(
      /every task adopted the version rotated during the outage/,
    );
  });
});
