/**
 * The drill with k6 as its load generator (`--load k6`): real k6 runs load/k6/rotation.js against
 * two tasks on the embedded stack while the rotator forces rotations, under both strategies; k6's
 * thresholds and exit code join the drill's verdict. Then the control: the naive app across a
 * single-user rotation, where k6 must exit with its threshold code (99) and count the failures.
 */
import { describe, expect, it } from 'vitest';
import { runDrillProcess as drill } from '../../helpers/drill-process.js';
import { skipWithoutK6 } from '../../helpers/k6.js';

const common = [...['--load', 'k6', '--rate', '50', '--tasks', '2', '--refresh-seconds', '2']];

describe.skipIf(skipWithoutK6)('npm run drill -- --load k6', () => {
  it(
    'passes under both strategies with 3 rotations each: k6 exits 0, every threshold met',
    { timeout: 120_000 },
    async () => {
      const runs = await Promise.all(
        (['alternating-users', 'single-user'] as const).map((strategy) =>
          drill([...common, '--duration', '25', '--rotations', '3', '--strategy', strategy]),
        ),
      );
      for (const run of runs) {
        const { report } = run;
        expect(run.code, run.out).toBe(0);
        expect(report.verdict).toEqual({ pass: true, reasons: [] });
        expect(report.options.load).toBe('k6');
        expect(report.rotations.filter((r) => r.ok)).toHaveLength(3);
        expect(report.k6?.exitCode).toBe(0);
        expect(report.k6?.thresholds.length).toBeGreaterThanOrEqual(5);
        expect(report.k6?.thresholds.every((t) => t.ok)).toBe(true);
        // k6's requests became the drill's records: about rate × duration, none failed or dropped
        expect(report.totals.scheduled).toBeGreaterThanOrEqual(1200);
        expect(report.totals).toMatchObject({ failed: 0, dropped: 0 });
        expect(report.rotations.every((r) => r.window.endMs > r.window.startMs)).toBe(true);
        // k6's acknowledged writes, each found once in the database
        expect(report.writes.acknowledged).toBeGreaterThan(0);
        expect(report.writes.confirmed).toBe(report.writes.acknowledged);
        expect(report.egress?.refused).toBe(0);
        expect(run.out).toMatch(/^ {2}verdict: PASS$/m);
      }
    },
  );

  it(
    'fails the naive app across a single-user rotation: k6 exits 99 and counts the failures',
    { timeout: 90_000 },
    async () => {
      const run = await drill([
        ...common,
        ...['--app', 'naive', '--strategy', 'single-user', '--rotations', '1', '--duration', '12'],
        '--kill-connections',
      ]);
      const { report } = run;
      expect(run.code).toBe(1);
      expect(report.k6?.exitCode).toBe(99);
      expect(report.k6?.thresholds.find((t) => t.metric === 'http_req_failed{scenario:rotation}')?.ok).toBe(
        false,
      );
      expect(report.totals.failed).toBeGreaterThan(0);
      expect(report.verdict.reasons.join('\n')).toMatch(
        /k6 exited with 99 \(.*http_req_failed\{scenario:rotation\} rate==0/,
      );
      expect(run.out).toMatch(/^ {2}verdict: FAIL \(\d+ threshold\(s\)\)$/m);
    },
  );
});
