/**
 * The drill with k6 as its load generator (`--load k6`): real k6 runs load/k6/rotation.js against
 * two tasks on the embedded stack while the rotator forces rotations, under both strategies; k6's
 * thresholds and exit code join the drill's verdict. The control, the naive app failing k6's
 * thresholds (exit 99), is README lab 4 (test/labs/drill-labs.test.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDrillProcess as drill } from '../../helpers/drill-process.js';
import { skipWithoutK6 } from '../../helpers/k6.js';
import { describeProcesses, survivorsAfter, watchDescendants } from '../../helpers/process-tree.js';

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
});

describe('npm run drill -- --load k6, when k6 cannot start', () => {
  it('exits 3 naming k6, and leaves no task or database behind', { timeout: 90_000 }, async () => {
    // A k6 first on PATH that fails at once, as a broken install would.
    const bin = mkdtempSync(join(tmpdir(), 'broken-k6-'));
    writeFileSync(join(bin, 'k6'), '#!/bin/sh\necho "k6: broken install" >&2\nexit 1\n', { mode: 0o755 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', DRILL_MAIN, '--load', 'k6', '--duration', '10', '--rotations', '0'],
      {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Everything the drill starts (tasks and PostgreSQL run in process groups of their own).
    const watch = watchDescendants(child.pid ?? 0);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    const started = watch.stop();
    expect(code, out).toBe(3);
    expect(out).toMatch(/k6 did not start the load \(exit 1\):\n.*k6: broken install/);
    expect(describeProcesses(started)).toMatch(/postgres/);
    expect(started.some((p) => p.command.includes('app/src/main.ts'))).toBe(true);
    expect(describeProcesses(await survivorsAfter(started, 5000)), 'processes the drill left').toBe('');
  });
});
