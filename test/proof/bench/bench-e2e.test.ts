/**
 * The bench end to end, as CI runs it: a quick run of the baseline and this app on one embedded
 * stack (side by side, two interleaved rotations-off trials each, both rotation strategies, this app
 * under heavy load, the heap guard). Fails if this app has any failed request under rotation, holds
 * more than 1.3 × its pool during a swap, or grows its heap across 20 swaps; checks the report's
 * figures are real (measured, not placeholders) and that the docs render from it. The other variants
 * are left to `npm run bench` (CI time).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../../proof/bench/report.js';

const MAIN = fileURLToPath(new URL('../../../proof/bench/main.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function bench(args: string[]): Promise<{ code: number | null; out: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      resolve({ code, out, seconds: (performance.now() - started) / 1000 });
    });
  });
}

describe('npm run bench', () => {
  it(
    'quick: this app serves through both rotation strategies with 0 failed requests',
    { timeout: 300_000 },
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
      dirs.push(out);
      // 6.5 s after the rotation: the alternating-users run must see its pool swap.
      const run = await bench([
        '--quick',
        '--variants',
        'baseline,this-app',
        '--rotation-spacing-seconds',
        '6.5',
        // Quick trials are shorter than the default interval: a 2 s cycle shows its calls in them.
        '--refresh-seconds',
        '2',
        '--out',
        out,
        '--max-minutes',
        '5',
      ]);
      expect(run.code, run.out).toBe(0);
      const file = readdirSync(out).find((f) => f.startsWith('bench-') && f.endsWith('.json'));
      if (file === undefined) throw new Error(`no report written:\n${run.out}`);
      const report = JSON.parse(readFileSync(join(out, file), 'utf8')) as BenchReport;

      expect(report.kind).toBe('benchmark');
      expect(report.verdict).toEqual({ pass: true, reasons: [] });
      expect(report.variants.map((v) => v.name)).toEqual(['baseline', 'this-app']);
      const app = report.variants.find((v) => v.name === 'this-app');
      const baseline = report.variants.find((v) => v.name === 'baseline');
      if (!app || !baseline) throw new Error('a variant is missing');
      expect(app.error).toBeUndefined();

      // Side by side: both processes at once, each at the same rate, every request answered, CPU read.
      const sideBySide = report.sideBySide;
      if (!sideBySide) throw new Error('no side-by-side run');
      expect(sideBySide.windows).toHaveLength(report.options.sideBySideWindows);
      const perWindow = sideBySide.rate * sideBySide.windowSeconds;
      for (const w of sideBySide.windows)
        for (const name of ['baseline', 'this-app'] as const) {
          expect(w.ok[name]).toBe(perWindow);
          expect(w.failed[name]).toBe(0);
          expect(w.cpuMs[name]).toBeGreaterThan(0);
        }
      const together = sideBySide.variants.find((v) => v.name === 'this-app');
      expect(together?.ratio?.pairs).toHaveLength(report.options.sideBySideWindows);
      expect(together?.rssRatio?.median).toBeGreaterThan(0);
      expect(sideBySide.variants.flatMap((v) => v.exitCodes)).toEqual([0, 0]);
      expect(report.durations.sideBySide).toBeGreaterThan(0);

      // Rotations off: two interleaved rounds, each trial a fresh process with real figures.
      expect(report.options.trials).toBe(2);
      for (const v of report.variants) {
        expect(v.trials.map((t) => [t.round, t.position])).toEqual(
          v.name === 'baseline'
            ? [
                [0, 0],
                [1, 1],
              ]
            : [
                [0, 1],
                [1, 0],
              ],
        );
        for (const t of v.trials) {
          if ('error' in t) throw new Error(`${v.name} trial ${t.round}: ${t.error}`);
          expect(t.startupSeconds).toBeGreaterThan(0);
          expect(t.saturation.achievedRps).toBeGreaterThan(0);
          expect(t.saturation.ok).toBeGreaterThan(0);
          expect(t.saturation.failed).toBe(0);
          expect(t.common.failed + t.common.dropped).toBe(0);
          expect(t.common.latency.p99Ms).toBeGreaterThan(0);
          expect(t.cpuMsPerRequest).toBeGreaterThan(0);
          expect(t.memory?.peakRssMiB).toBeGreaterThan(20);
          expect(t.exitCode).toBe(0);
        }
        expect(v.summary.trials).toBe(2);
        expect(v.summary.failedRequests).toBe(0);
      }
      // What a new process costs: this app reads its secret and opens its pool before it is ready.
      for (const t of app.trials) {
        if ('error' in t) continue;
        expect(t.startupCalls.byOperation.GetSecretValue).toBeGreaterThan(0);
        expect(t.startupConnections.opened).toBeGreaterThan(0);
        expect(t.startupConnections.peak).toBeGreaterThan(0);
      }
      for (const t of baseline.trials) if (!('error' in t)) expect(t.startupCalls.total).toBe(0);
      // Secrets Manager: this app asks once per refresh interval; the baseline has no client at all.
      expect(app.summary.secretsManager?.total).toBeGreaterThan(0);
      expect(app.summary.secretsManager?.perRefreshInterval).toBeLessThanOrEqual(1.12);
      expect(baseline.summary.secretsManager?.total).toBe(0);

      // Ratios per paired trial, with an interval around their median.
      for (const r of [app.ratios.saturation, app.ratios.cpuPerRequest]) {
        if (!r) throw new Error('no ratio to the baseline');
        expect(r.pairs).toHaveLength(2);
        expect(r.ci95[0]).toBeLessThanOrEqual(r.median);
        expect(r.ci95[1]).toBeGreaterThanOrEqual(r.median);
      }

      // Rotations on: both strategies ran, every rotation finished, not one request failed or dropped.
      for (const strategy of ['alternating-users', 'single-user'] as const) {
        const r = app.rotations[strategy];
        if (!r || !('totals' in r)) throw new Error(`no ${strategy} run: ${JSON.stringify(r)}`);
        expect(r.totals.scheduled).toBe(report.options.rate * report.options.rotationSeconds);
        expect(r.totals.failed, JSON.stringify(r.totals.failedByReason)).toBe(0);
        expect(r.totals.dropped).toBe(0);
        expect(r.totals.ok).toBe(r.totals.scheduled);
        expect(r.rotations).toHaveLength(report.options.rotations);
        expect(r.rotations.every((x) => x.ok)).toBe(true);
        expect(r.windows.rotation.count).toBeGreaterThan(0);
        // Connections were watched through every rotation window, and the pool held some.
        expect(r.connections).toHaveLength(report.options.rotations);
        for (const c of r.connections) expect(c.steady).toBeGreaterThan(0);
        expect(r.exitCode).toBe(0);
      }
      // alternating users swaps the pool; single user never does
      const alternating = app.rotations['alternating-users'];
      const single = app.rotations['single-user'];
      expect(alternating && 'poolSwaps' in alternating ? alternating.poolSwaps : 0).toBeGreaterThan(0);
      expect(single && 'poolSwaps' in single ? single.poolSwaps : -1).toBe(0);

      // Heavy load: this app alone, a rotation per strategy, nothing failed, the swap within 1.3 × the pool.
      const heavy = report.heavyRotations;
      if (!heavy) throw new Error('no heavy-load run');
      expect(heavy.rate).toBeGreaterThan(0);
      expect(heavy.strategies.map((s) => s.strategy)).toEqual(report.options.strategies);
      for (const { strategy, result } of heavy.strategies) {
        if ('error' in result) throw new Error(`${strategy} under heavy load: ${result.error}`);
        expect(result.failed + result.dropped, JSON.stringify(result.failedByReason)).toBe(0);
        expect(result.ok).toBe(result.scheduled);
        expect(result.rotationsFinished).toBe(1);
        expect(result.windows).toHaveLength(1);
        expect(result.connections.steady).toBeGreaterThan(0);
        expect(result.connections.peakOverSteady).toBeLessThanOrEqual(1.3);
        expect(result.latency.steadyP99Ms).toBeGreaterThan(0);
        expect(result.poolSwaps).toBe(strategy === 'alternating-users' ? 1 : 0);
      }
      // The heap guard: 20 pool swaps, the heap after GC read after each, no growth past 5 %.
      const heap = report.heapGuard;
      if (!heap) throw new Error('no heap guard');
      expect(heap.reasons).toEqual([]);
      expect(heap.readings.map((r) => r.rotation)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(heap.growth).toBeLessThanOrEqual(1.05);
      expect(heap.failed + heap.dropped).toBe(0);

      const targets = Object.fromEntries(report.targets.map((t) => [t.name, t]));
      expect(targets['memory across pool swaps']?.met).toBe(true);
      for (const strategy of ['alternating-users', 'single-user'])
        expect(targets[`rotations at 50 % of saturation, ${strategy}: connections`]?.met).toBe(true);
      expect(targets['rotations on, alternating-users']?.met).toBe(true);
      expect(targets['rotations on, single-user']?.met).toBe(true);
      expect(targets['Secrets Manager calls, steady']?.met).toBe(true);
      expect(targets['rotations off: every request answered']?.met).toBe(true);
      expect(targets['throughput, rotations off']?.hard).toBe(false);
      expect(targets['CPU per request, rotations off']?.hard).toBe(false);
      expect(report.durations.trials).toBeGreaterThan(0);
      expect(Object.keys(report.durations.rotationRuns).sort()).toEqual(['alternating-users', 'single-user']);
      expect(report.leaks.passwordsChecked).toBeGreaterThanOrEqual(3);
      expect(report.leaks.occurrences).toBe(0);
      expect(report.leaks.reportFileOccurrences).toBe(0);
      expect(report.machine.postgres).toMatch(/^\d+/);
      expect(run.out).toMatch(/verdict: PASS/);

      // The page's results block renders from the report alone, and the prose around it stays.
      const docs = join(out, 'benchmarks.md');
      copyFileSync(new URL('../../../docs/benchmarks.md', import.meta.url), docs);
      const regen = await bench(['--from', join(out, file), '--docs', docs]);
      expect(regen.code, regen.out).toBe(0);
      const md = readFileSync(docs, 'utf8');
      expect(md).toContain('## How to read the figures');
      expect(md).toContain('## Where the CPU goes');
      // the side-by-side, cost, scale-out and rotation tables
      expect(md.match(/^\| this app +\|/gm)).toHaveLength(4);
      expect(md).toContain('### Under heavy load');
      expect(md).toContain('The heap guard: one this-app process through 20 alternating-users rotations');
      expect(md).toContain('### How long each part took');
      expect(md).toContain(report.command);
      expect(md).toContain(report.machine.cpuModel);
      console.log(`bench e2e: ${run.seconds.toFixed(1)} s`);
    },
  );

  it('names every bad option', async () => {
    const run = await bench(['--variants', 'baseline,nope', '--rate', 'fast', '--strategies', 'sometimes']);
    expect(run.code).toBe(2);
    expect(run.out).toMatch(
      /--variants must be a comma-separated list of baseline, this-app, naive, wrapper, got "baseline,nope"/,
    );
    expect(run.out).toMatch(/--rate must be a number in \[1, 5000\], got "fast"/);
    expect(run.out).toMatch(/--strategies must be a comma-separated list of/);
  });
});
