/** The bench's report: the JSON document, the evaluation of this app's targets, the terminal table. */
import type { LeakScan } from '../drill/index.js';
import type { RotationStrategy } from '../../rotation/config.js';
import type { MachineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import type { RotationResult, SteadyResult } from './phases.js';
import { KEEP_UP_FRACTION } from './search.js';
import { ONE_PER_CYCLE_LIMIT } from './sm-calls.js';
import { round } from './step.js';
import type { RotationExpectation, VariantName } from './variants.js';

export const THROUGHPUT_TARGET = 0.97;

export interface VariantReport {
  name: VariantName;
  title: string;
  description: string;
  underRotation: RotationExpectation;
  /** Node.js version the variant's process ran on. */
  node: string;
  /** Why the variant could not be measured (it is then absent from the figures). */
  error?: string;
  steady?: SteadyResult;
  rotations: Partial<Record<RotationStrategy, RotationResult | { error: string }>>;
  /** This variant ÷ baseline, same run (null without a baseline figure). */
  ratios: { latencyTarget: number | null; saturation: number | null; cpuPerRequest: number | null };
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: could not be evaluated in this run (a variant or strategy not measured). */
  met: boolean | null;
  /** Decides the exit code (the throughput target only with --strict). */
  hard: boolean;
}

export interface BenchReport {
  kind: 'benchmark';
  version: 1;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  options: BenchOptions;
  machine: MachineInfo;
  definitions: Record<string, string>;
  variants: VariantReport[];
  targets: TargetCheck[];
  verdict: { pass: boolean; reasons: string[] };
  leaks: LeakScan & { reportFileOccurrences: number | null };
}

export const DEFINITIONS = {
  openModel:
    'request i is due at start + i / rate whatever happened to earlier ones (proof/load/open-model.ts); latency runs from the intended send time to the end of the answer',
  failed:
    'sent, and answered with another status than the request mix expects, or a network error, or no answer within 10 s',
  dropped:
    'never sent: due more than 1000 ms ago when the generator got to it, or 1000 requests already unanswered',
  step: 'one open-model run at a fixed offered rate for --step-seconds against the variant\u2019s rotations-off process; the search and the common-rate run share that process, after a --warmup-seconds run at --start-rate',
  achieved: 'successful answers completed inside the step, per second of the step',
  keepsUp: `a step keeps up when 0 failed, 0 dropped and achieved ≥ ${KEEP_UP_FRACTION * 100} % of offered`,
  latencyTargetRate:
    'the highest offered rate at which a step kept up with p99 ≤ the latency target: a geometric ladder from --start-rate by --step-factor until a step does not keep up, then --bisections geometric bisections between that rate and the lowest rate above it that missed (at most --max-steps steps per search)',
  saturation:
    'the highest offered rate at which a step kept up (same ladder, its own bisections); the figure is that step\u2019s achieved rate. Above it achieved throughput stops following the offered rate, or requests fail or are dropped',
  highestPass:
    'other load on the machine only ever makes a step slower: a rate met once is a rate the variant can serve, so the figures are the highest rates met, not the last ones before a first miss',
  repeat:
    'a step that misses a criterion is run once more (full runs); the better run counts. The first step at a new, higher rate also pays for the pool growing (new SCRAM logins) and for code not yet optimized for that load',
  commonRate: 'p50/p99 come from a fixed-rate run at --rate (the same for every variant), rotations off',
  rotationRun:
    'a fresh process at --rate while --rotations RotateSecret calls (the real four steps) run: the first 3 s into the load (quick: 1.5 s), then one every --rotation-spacing-seconds, and the load goes on for that long after the last. The spacing (max lifetime + 1 s) makes every variant open new connections between two rotations, as it would with rotations days apart. failed counts failed + dropped',
  rotationWindow: 'from RotateSecret to AWSCURRENT moved, plus 5 s',
  secretsManagerCalls:
    'the process\u2019s calls in the endpoint\u2019s call log (its access key id, inside its lifetime); steady: from ready to the end of the steady measurements; per refresh interval = interval ÷ mean gap between calls',
  memory: 'VmRSS (at the end of the steady run) and VmHWM (peak) from /proc/<pid>/status of the app process',
  cpuPerRequest:
    'user + system CPU time of the app process (/proc/<pid>/stat) during the common-rate run, per successful request: cost without queueing, though other load on the machine moves it too',
  ratio: 'variant ÷ baseline, both from this run',
};

export function ratioTo(value: number | undefined | null, base: number | undefined | null): number | null {
  if (value === undefined || value === null || base === undefined || base === null || base === 0) return null;
  return round(value / base, 3);
}

/** Fills each variant's ratios to the baseline (when the baseline was measured). */
export function fillRatios(variants: VariantReport[]): void {
  const base = variants.find((v) => v.name === 'baseline')?.steady;
  for (const v of variants) {
    const s = v.steady;
    v.ratios = {
      latencyTarget: ratioTo(s?.search.latencyTarget?.rps, base?.search.latencyTarget?.rps),
      saturation: ratioTo(s?.search.saturation?.achievedRps, base?.search.saturation?.achievedRps),
      cpuPerRequest: ratioTo(s?.cpuMsPerRequest, base?.cpuMsPerRequest),
    };
  }
}

export function isRotationResult(r: RotationResult | { error: string } | undefined): r is RotationResult {
  return r !== undefined && 'totals' in r;
}

export function evaluateTargets(variants: readonly VariantReport[], options: BenchOptions): TargetCheck[] {
  const app = variants.find((v) => v.name === 'this-app');
  if (!app) return [];
  const checks: TargetCheck[] = [];
  const sat = app.ratios.saturation;
  const lat = app.ratios.latencyTarget;
  const naive = variants.find((v) => v.name === 'naive')?.ratios.saturation;
  checks.push({
    name: 'throughput, rotations off',
    target: `this app ≥ ${THROUGHPUT_TARGET} × baseline (saturation)`,
    measured:
      sat === null
        ? 'not evaluated (no baseline or no saturation figure)'
        : `${sat.toFixed(3)} × baseline at saturation; ${lat === null ? '-' : lat.toFixed(3)} × at the latency target; ` +
          `CPU per request ${app.ratios.cpuPerRequest === null ? '-' : app.ratios.cpuPerRequest.toFixed(3)} × baseline` +
          // The naive app serves exactly as the baseline does: its ratio is this run's noise.
          (naive == null
            ? ''
            : `; the naive app (the baseline's pool) measured ${naive.toFixed(3)} × at saturation`),
    met: app.error !== undefined ? false : sat === null ? null : sat >= THROUGHPUT_TARGET,
    hard: options.strict,
  });
  for (const strategy of options.strategies) {
    const r = app.rotations[strategy];
    let measured: string;
    let met: boolean;
    if (!isRotationResult(r)) {
      measured = r ? `could not run: ${r.error}` : 'not run';
      met = false;
    } else {
      const bad = r.totals.failed + r.totals.dropped;
      const finished = r.rotations.filter((x) => x.ok).length;
      measured = `${bad} failed of ${r.totals.scheduled}, ${finished}/${options.rotations} rotations finished`;
      met = bad === 0 && finished === options.rotations;
    }
    checks.push({
      name: `rotations on, ${strategy}`,
      target: '0 failed requests',
      measured,
      met,
      hard: true,
    });
  }
  const calls = app.steady?.secretsManager;
  checks.push({
    name: 'Secrets Manager calls, steady',
    target: `≤ 1 per refresh interval per process (≤ ${ONE_PER_CYCLE_LIMIT} with the cycle\u2019s ±10 % jitter)`,
    measured: calls
      ? `${calls.perRefreshInterval} per ${calls.refreshSeconds} s interval (${calls.total} calls in ${calls.windowSeconds} s)`
      : 'not measured',
    met: calls ? calls.perRefreshInterval <= ONE_PER_CYCLE_LIMIT : false,
    hard: true,
  });
  return checks;
}

export function verdictOf(
  targets: readonly TargetCheck[],
  variants: readonly VariantReport[],
): BenchReport['verdict'] {
  const reasons: string[] = [];
  const app = variants.find((v) => v.name === 'this-app');
  if (app?.error !== undefined) reasons.push(`this app could not be measured: ${app.error}`);
  for (const t of targets)
    if (t.hard && t.met === false) reasons.push(`${t.name}: ${t.measured} (target ${t.target})`);
  return { pass: reasons.length === 0, reasons };
}

// ---------------------------------------------------------------------------------------------

const n0 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(Math.round(v)));
const n1 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));
const x = (v: number | null) => (v === null ? '' : ` (${v.toFixed(2)}×)`);

/** One row per variant: the same cells for the terminal and for docs/benchmarks.md. */
export function tableRows(report: BenchReport): { header: string[]; rows: string[][] } {
  const o = report.options;
  const header = [
    'variant',
    `req/s at p99 ≤ ${o.latencyTargetMs} ms`,
    'req/s at saturation',
    `p50 / p99 ms at ${o.rate} req/s`,
    'app CPU ms / req',
    ...o.strategies.map((s) => `failed, ${s}`),
    'SM calls / interval',
    'RSS peak / end MiB',
  ];
  const rows = report.variants.map((v) => {
    if (v.error !== undefined || !v.steady)
      return [v.title, `could not run: ${v.error ?? 'unknown'}`, ...header.slice(2).map(() => '')];
    const s = v.steady;
    const failed = o.strategies.map((strategy) => {
      const r = v.rotations[strategy];
      if (!isRotationResult(r)) return r ? 'error' : '-';
      const bad = r.totals.failed + r.totals.dropped;
      const note = v.underRotation === 'expected-to-fail' && bad > 0 ? ' (expected)' : '';
      return `${bad} / ${r.totals.scheduled}${note}`;
    });
    return [
      v.title,
      `${n0(s.search.latencyTarget?.rps)}${x(v.ratios.latencyTarget)}`,
      `${n0(s.search.saturation?.achievedRps)}${x(v.ratios.saturation)}`,
      `${n1(s.common.latency.p50Ms)} / ${n1(s.common.latency.p99Ms)}`,
      s.cpuMsPerRequest === null ? '-' : `${s.cpuMsPerRequest.toFixed(2)}${x(v.ratios.cpuPerRequest)}`,
      ...failed,
      s.secretsManager.total === 0 ? '0' : String(s.secretsManager.perRefreshInterval),
      s.memory ? `${n0(s.memory.peakRssMiB)} / ${n0(s.memory.rssMiB)}` : '-',
    ];
  });
  return { header, rows };
}

export function summaryTable(report: BenchReport): string {
  const { header, rows } = tableRows(report);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(header), ...rows.map(line), ''];
  for (const t of report.targets) {
    const state = t.met === null ? 'not evaluated' : t.met ? 'MET' : 'MISSED';
    out.push(
      `target ${t.name}: ${state} — ${t.measured} (target ${t.target}${t.hard ? '' : '; informational without --strict'})`,
    );
  }
  out.push(report.verdict.pass ? 'verdict: PASS' : `verdict: FAIL (${report.verdict.reasons.join('; ')})`);
  return out.join('\n');
}
