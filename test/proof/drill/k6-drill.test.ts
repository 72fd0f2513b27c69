/**
 * The drill with k6 as its load generator (`--load k6`): real k6 runs load/k6/rotation.js against
 * two tasks on the embedded stack while the rotator forces rotations, under both strategies; k6's
 * thresholds and exit code join the drill's verdict. Then the control: the naive app across a
 * single-user rotation, where k6 must exit with its threshold code (99) and count the failures.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDrillProcess as drill } from '../../helpers/drill-process.js';
import { skipWithoutK6 } from '../../helpers/k6.js';

const DRILL_MAIN = fileURLToPath(new URL('../../../proof/drill/main.ts', import.meta.url));
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

describe('npm run drill -- --load k6, when k6 cannot start', () => {
  it('exits 3 naming k6, and leaves no task or database behind', { timeout: 90_000 }, async () => {
    // A k6 first on PATH that fails at once, as a broken install would.
    const bin = mkdtempSync(join(tmpdir(), 'broken-k6-'));
    writeFileSync(join(bin, 'k6'), '#!/bin/sh\necho "k6: broken install" >&2\nexit 1\n', { mode: 0o755 });
    // Its own process group: whatever the drill started and left behind would still be in it.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', DRILL_MAIN, '--load', 'k6', '--duration', '10', '--rotations', '0'],
      {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, out).toBe(3);
    expect(out).toMatch(/k6 did not start the load \(exit 1\):\n.*k6: broken install/);
    // No event says a process group is empty: poll, bounded, for processes still exiting.
    const inGroup = () =>
      new Promise<string>((resolve) => {
        execFile('ps', ['-o', 'pid=,args=', '-g', String(child.pid)], (_, stdout) => {
          resolve(stdout.trim());
        });
      });
    let left = await inGroup();
    for (let i = 0; i < 50 && left !== ''; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await inGroup();
    }
    expect(left, 'processes left in the drill process group').toBe('');
  });
});
