/**
 * The bench end to end, as CI runs it: a quick run of the baseline and this app, rotations off and
 * under both strategies, on one embedded stack. Fails if this app has any failed request under
 * rotation; checks the report's figures are real (measured, not placeholders) and that the docs
 * render from it. The other variants are left to `npm run bench` (CI time).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
    { timeout: 150_000 },
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
      dirs.push(out);
      // A refresh interval and 1.5 s after the rotation: the alternating-users run must see its pool swap.
      const run = await bench([
        '--quick',
        '--variants',
        'baseline,this-app',
        '--rotation-spacing-seconds',
        '6.5',
        '--out',
        out,
        '--max-minutes',
        '3',
      ]);
      expect(run.code, run.out).toBe(0);
      const file = readdirSync(out).find((f) => f.startsWith('bench-') && f.endsWith('.json'));
      if (file === undefined) throw new Error(`no report written:\n${run.out}`);
      const report = JSON.parse(readFileSync(join(out, file), 'utf8')) as BenchReport;

      expect(report.kind).toBe('benchmark');
      expect(report.verdict).toEqual({ pass: true, reasons: [] });
      expect(report.variants.map((v) => v.name)).toEqual(['baseline', 'this-app']);
      const app = report.variants.find((v) => v.name === 'this-app');
      if (!app?.steady) throw new Error('this app was not measured');
      expect(app.error).toBeUndefined();

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
        expect(r.exitCode).toBe(0);
      }
      // alternating users swaps the pool; single user never does
      const alternating = app.rotations['alternating-users'];
      const single = app.rotations['single-user'];
      expect(alternating && 'poolSwaps' in alternating ? alternating.poolSwaps : 0).toBeGreaterThan(0);
      expect(single && 'poolSwaps' in single ? single.poolSwaps : -1).toBe(0);

      // Rotations off: the search found figures, the common-rate run served everything.
      for (const v of report.variants) {
        const s = v.steady;
        if (!s) throw new Error(`${v.name} was not measured: ${v.error ?? ''}`);
        expect(s.search.steps.length).toBeGreaterThanOrEqual(2);
        expect(s.search.saturation?.achievedRps).toBeGreaterThan(0);
        expect(s.common.failed + s.common.dropped).toBe(0);
        expect(s.common.latency.p99Ms).toBeGreaterThan(0);
        expect(s.cpuMsPerRequest).toBeGreaterThan(0);
        expect(s.memory?.peakRssMiB).toBeGreaterThan(20);
        expect(s.exitCode).toBe(0);
      }
      // Secrets Manager: this app asks once per refresh interval; the baseline has no client at all.
      expect(app.steady.secretsManager.total).toBeGreaterThan(0);
      expect(app.steady.secretsManager.perRefreshInterval).toBeLessThanOrEqual(1.12);
      expect(app.steady.startupCalls.byOperation.GetSecretValue).toBeGreaterThan(0);
      const baseline = report.variants.find((v) => v.name === 'baseline');
      expect(baseline?.steady?.secretsManager.total).toBe(0);
      expect(baseline?.steady?.startupCalls.total).toBe(0);
      expect(app.ratios.saturation).toBeGreaterThan(0);

      const targets = Object.fromEntries(report.targets.map((t) => [t.name, t]));
      expect(targets['rotations on, alternating-users']?.met).toBe(true);
      expect(targets['rotations on, single-user']?.met).toBe(true);
      expect(targets['Secrets Manager calls, steady']?.met).toBe(true);
      expect(targets['throughput, rotations off']?.hard).toBe(false);
      expect(report.leaks.passwordsChecked).toBeGreaterThanOrEqual(3);
      expect(report.leaks.occurrences).toBe(0);
      expect(report.leaks.reportFileOccurrences).toBe(0);
      expect(report.machine.postgres).toMatch(/^\d+/);
      expect(run.out).toMatch(/verdict: PASS/);

      // The docs render from the report alone.
      const docs = join(out, 'benchmarks.md');
      const regen = await bench(['--from', join(out, file), '--docs', docs]);
      expect(regen.code, regen.out).toBe(0);
      const md = readFileSync(docs, 'utf8');
      expect(md).toMatch(/^\| this app +\|/m);
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
