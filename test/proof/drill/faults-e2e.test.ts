/**
 * Every fault mode of the drill, short, one after the other (each starts its own embedded stack and
 * two app processes): each must pass its own checks with 0 unexpected failures and no leaked
 * password. Then one that must fail: the naive app cannot follow a rotation after an outage.
 */
import { describe, expect, it } from 'vitest';
import type { FaultName } from '../../../proof/drill/faults/fault.js';

import { runDrillProcess, type DrillRun } from '../../helpers/drill-process.js';

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
    // three versions, each seen by every task's cycle, then a rotation: the shortest schedule is 28 s
    const run = await runDrillProcess(['--fault', 'bad-secret', '--duration', '30', ...SHORT]);
    expectPass(run, 'bad-secret');
    // the bad versions' passwords were part of the hygiene scan
    expect(run.report.leaks.passwordsChecked).toBeGreaterThanOrEqual(5);
  });

  it('single-user-window: serves through AWSPENDING while AWSCURRENT lags', async () => {
    const run = await faultDrill('single-user-window');
    expect(run.report.options.strategy).toBe('single-user');
    expectPass(run, 'single-user-window');
  });

  it('db-freeze: every answer within the bound, only 503s, readiness follows the freeze both ways', async () => {
    // a 12 s freeze, recovery and a rotation before it: the shortest schedule is 29 s
    const run = await runDrillProcess(['--fault', 'db-freeze', '--duration', '30', ...SHORT]);
    const figures = expectPass(run, 'db-freeze');
    // requests during the freeze did fail (as 503): the database really stopped answering
    expect(run.report.fault?.expectedFailures).toBeGreaterThan(0);
    expect(figures).toMatchObject({ answersOverBound: 0, failedOtherwise: {} });
    expect(figures.processesStopped as number).toBeGreaterThanOrEqual(2);
    expect(figures.slowestAnswerMs as number).toBeLessThanOrEqual(figures.answerBoundMs as number);
    expect(figures.unreadyFromFreezeMs).toEqual([expect.any(Number), expect.any(Number)]);
    expect(figures.readinessRecoveryMs).toEqual([expect.any(Number), expect.any(Number)]);
    expect(run.report.tasks.every((t) => t.exitCode === 0)).toBe(true);
  });

  it('connection-limit: only 2xx and 503 under a role limit below the pool, and the swap completes', async () => {
    const run = await faultDrill('connection-limit');
    const figures = expectPass(run, 'connection-limit');
    // the limit really bound: the server refused connections for it
    expect(figures.refusedConnectionsRoleLimit as number).toBeGreaterThan(0);
    expect(figures.roleLimit as number).toBeLessThan(figures.poolMaxPerTask as number);
    expect(figures.readerRequests as number).toBeGreaterThan(0);
    expect(figures.loadFailedOtherwise).toEqual({});
    expect(figures.swaps).toEqual([
      expect.objectContaining({ task: 'task1', fromUser: 'app', toUser: 'app_clone', underLimit: true }),
      expect.objectContaining({ task: 'task2', fromUser: 'app', toUser: 'app_clone', underLimit: true }),
    ]);
    // the fleet figures: connections sampled, the app's Secrets Manager rate
    expect(run.report.fleet?.connections?.samples).toBeGreaterThan(0);
    expect(run.report.fleet?.connections?.refusedRoleLimit).toBeGreaterThan(0);
    expect(run.report.fleet?.secretsManager?.callsPerSecond).toBeGreaterThan(0);
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
