/**
 * The drill end to end, as CI runs it: both strategies at once (two embedded stacks). Real
 * PostgreSQL, real rotations, real app processes. The naive control app, which must fail, is README
 * lab 3 (test/labs/drill-labs.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runDrillProcess as drill } from '../../helpers/drill-process.js';

describe('npm run drill', () => {
  it(
    'passes with both strategies: 0 failed, 0 dropped, 0 lost writes, no leaked password',
    { timeout: 90_000 },
    async () => {
      const common = [
        ...['--duration', '20', '--rotations', '2', '--rate', '50', '--tasks', '2'],
        ...['--refresh-seconds', '2'],
      ];
      const runs = await Promise.all(
        (['alternating-users', 'single-user'] as const).map((strategy) =>
          drill([...common, '--strategy', strategy]),
        ),
      );
      for (const [i, run] of runs.entries()) {
        const { report } = run;
        expect(run.code, run.out).toBe(0);
        expect(report.options.strategy).toBe(i === 0 ? 'alternating-users' : 'single-user');
        expect(report.verdict).toEqual({ pass: true, reasons: [] });
        expect(report.totals.scheduled).toBe(1000);
        expect(report.totals.failed).toBe(0);
        expect(report.totals.dropped).toBe(0);
        expect(report.writes.acknowledged).toBeGreaterThan(0);
        expect(report.writes).toMatchObject({ lost: 0, duplicated: 0, mismatched: 0 });
        expect(report.writes.confirmed).toBe(report.writes.acknowledged);
        expect(report.leaks.passwordsChecked).toBeGreaterThanOrEqual(3);
        expect(report.leaks.occurrences).toBe(0);
        expect(report.leaks.reportFileOccurrences).toBe(0);
        // the tasks' CloudWatch EMF records are among the lines scanned
        expect(report.leaks.emfRecordsScanned).toBeGreaterThan(0);
        // every log of the run was scanned: app tasks, rotation function, endpoint, PostgreSQL server
        expect(Object.keys(report.leaks.bySource)).toEqual(
          expect.arrayContaining([
            'task1',
            'task2',
            'rotation-function',
            'secrets-manager-endpoint',
            'postgres-server',
          ]),
        );
        // the tasks contacted only the stack's endpoint and PostgreSQL, under an armed guard
        expect(report.egress).toMatchObject({ guardedProcesses: 2, tasksStarted: 2, refused: 0 });
        expect(Object.keys(report.egress?.allowedByDestination ?? {})).toHaveLength(2);
        // the app's principal only read the secret
        expect(report.appPrincipal?.pass).toBe(true);
        expect(Object.keys(report.appPrincipal?.operations ?? {}).sort()).toEqual([
          'DescribeSecret',
          'GetSecretValue',
        ]);
        expect(report.rotations.filter((r) => r.ok)).toHaveLength(2);
        expect(report.rotations[0]?.steps.map((s) => s.step)).toEqual([
          'createSecret',
          'setSecret',
          'testSecret',
          'finishSecret',
        ]);
        expect(report.series).toHaveLength(20);
        expect(report.latency.rotation.count).toBeGreaterThan(0);
        expect(report.latency.steady.count).toBeGreaterThan(0);
        // the HTML is self-contained: uPlot inlined, the data inlined
        expect(run.html).toContain('uPlot');
        expect(run.html).not.toMatch(/<script[^>]+src=/);
        expect(run.html).toContain('id="drill-data"');
        expect(run.html).toContain('"finishSecret"');
        expect(run.out).toMatch(/verdict: PASS/);
      }
      // alternating users swaps pools; single user never does
      expect(runs[0]?.report.tasks.reduce((s, t) => s + (t.poolSwaps ?? 0), 0)).toBeGreaterThan(0);
      expect(runs[1]?.report.tasks.every((t) => t.poolSwaps === 0)).toBe(true);
      console.log(
        `drill e2e: ${runs.map((r) => `${r.report.options.strategy} ${r.seconds.toFixed(1)} s`).join(', ')}`,
      );
    },
  );

  it('--repeat runs the same drill again and reports the flake rate', { timeout: 90_000 }, async () => {
    const run = await drill([
      ...['--repeat', '2', '--duration', '8', '--rotations', '1', '--refresh-seconds', '1'],
      ...['--rate', '20', '--tasks', '1'],
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/^run 1\/2: PASS {2}failed 0, dropped 0 /m);
    expect(run.out).toMatch(/^run 2\/2: PASS {2}failed 0, dropped 0 /m);
    expect(run.out).toMatch(/^flake rate: 0\/2 FAIL \(0 %\)$/m);
  });
});
