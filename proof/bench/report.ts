/** The bench's report: the JSON document, the evaluation of this app's targets, the terminal tables. */
import type { LeakScan } from '../drill/index.js';
import type { RotationStrategy } from '../../rotation/public.js';
import type { HeapGuardResult } from './heap-guard.js';
import { HEAVY_ROTATION_GOALS, type HeavyRotationsResult } from './heavy-rotations.js';
import type { MachineInfo } from './machine.js';
import type { PairedCostResult } from './paired-cost.js';
import type { BenchOptions } from './options.js';
import { READY_POLL_MS, type RotationResult } from './phases.js';
import { SAMPLE_INTERVAL_MS } from './pg-connections.js';
import { ONE_PER_CYCLE_LIMIT, pooledSteadyCalls, type SteadyCalls } from './sm-calls.js';
import {
  BOOTSTRAP_RESAMPLES,
  containsOne,
  describeRatio,
  pairedRatio,
  spreadOf,
  type RatioEstimate,
  type Spread,
} from './stats.js';
import type { TrialResult } from './trial.js';
import { VARIANTS, type RotationExpectation, type VariantName } from './variants.js';

/** This app's saturation throughput ≥ 0.97 × the baseline's (the interval's lower bound). */
export const THROUGHPUT_TARGET = 0.97;
/** This app's CPU per request ≤ 1.03 × the baseline's (the interval's upper bound). */
export const CPU_TARGET = 1.03;
/**
 * Fewer pairs decide nothing: with n pairs the interval is about their range, which holds the true
 * median with probability 1 − 2 × 0.5ⁿ (5 pairs: 94 %; 2 pairs, a quick run: 50 %).
 */
export const MIN_PAIRS_TO_DECIDE = 5;
/** Side by side: the identical pair's interval must lie within these for the run to decide 3 %. */
export const GAUGE_BOUNDS = [0.97, 1.03] as const;
/** Side by side: rounds of fresh processes needed before the interval decides anything. */
export const MIN_ROUNDS_TO_DECIDE = 2;

/** Each figure over a variant's trials (median and range). */
export interface VariantSummary {
  trials: number;
  startupSeconds: Spread | null;
  startupCalls: Spread | null;
  startupConnectionsOpened: Spread | null;
  startupConnectionsPeak: Spread | null;
  saturationRps: Spread | null;
  cpuMsPerRequest: Spread | null;
  p50Ms: Spread | null;
  p99Ms: Spread | null;
  peakRssMiB: Spread | null;
  rssMiB: Spread | null;
  requestsServed: Spread | null;
  /** Failed or dropped requests over every trial (saturation and common-rate runs). */
  failedRequests: number;
  /** Secrets Manager calls from ready to the end of each trial, pooled. */
  secretsManager: SteadyCalls | null;
}

export interface VariantReport {
  name: VariantName;
  title: string;
  description: string;
  underRotation: RotationExpectation;
  /** Node.js version the variant's process ran on. */
  node: string;
  /** Why the variant could not be measured (it is then absent from the figures). */
  error?: string;
  /** Every rotations-off trial, in the order run: enough to recompute every figure below. */
  trials: (TrialResult | { round: number; position: number; error: string })[];
  summary: VariantSummary;
  rotations: Partial<Record<RotationStrategy, RotationResult | { error: string }>>;
  /** This variant ÷ baseline per paired trial (null without baseline trials). */
  ratios: {
    saturation: RatioEstimate | null;
    cpuPerRequest: RatioEstimate | null;
    p99: RatioEstimate | null;
  };
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: not decided (a variant not measured, or an interval that spans the target). */
  met: boolean | null;
  /** Decides the exit code (the cost targets only with --strict). */
  hard: boolean;
}

export interface BenchReport {
  kind: 'benchmark';
  version: 3;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** Where the time went, in seconds. */
  durations: {
    stack: number;
    sideBySide: number;
    trials: number;
    heavyRotations: number;
    heapGuard: number;
    rotationRuns: Partial<Record<RotationStrategy, number>>;
  };
  command: string;
  options: BenchOptions;
  machine: MachineInfo;
  definitions: Record<string, string>;
  variants: VariantReport[];
  /** CPU per request of the variants running at the same time (paired-cost.ts); null: skipped. */
  sideBySide: PairedCostResult | null;
  /** This app alone, rotations at 70 % of its saturation (heavy-rotations.ts); null: skipped. */
  heavyRotations: HeavyRotationsResult | null;
  /** Heap after GC across many pool swaps (heap-guard.ts); null: skipped. */
  heapGuard: HeapGuardResult | null;
  targets: TargetCheck[];
  verdict: { pass: boolean; reasons: string[] };
  leaks: LeakScan & { reportFileOccurrences: number | null };
}

export const DEFINITIONS = {
  sideBySide:
    'baseline, this app and naive running at once, each behind its own open-model load at --side-by-side-rate, with the same request sequence (one seed) from one generator process; request i of a window is due for every process at start + i / rate, each offset by a third of the gap, the order of the offsets turned by one each window. CPU per request of each process over the same seconds; the ratio to the baseline per window. Whatever else the machine does in a window falls on all three alike',
  sideBySideRound:
    'a fresh set of the processes (started one at a time, the order turned by one each round), with the app\u2019s default refresh interval (30 s) and connection lifetime; 32 s of unmeasured warm-up, past the first health cycle (the first DescribeSecret of a process runs cold SDK code, once), then --side-by-side-windows windows spanning whole refresh intervals. Two processes of the same code differ by about a percent (where their memory landed, what the JIT decided), which windows of one set cannot average out: the interval is bootstrapped by round, then by window within each resampled round',
  threadCpu:
    'side by side: the run time of each of the process’s threads (/proc/<pid>/task/<tid>/schedstat, nanoseconds), summed: /proc/<pid>/stat counts in 10 ms ticks, about 1 % of a window',
  identicalPair:
    'naive ÷ baseline side by side: the same plain pool on the same routes and the same modules (the naive app gets its secret in the environment), so its interval shows what the measurement can resolve; the CPU target is decided only when it lies within 0.97–1.03',
  heavyLoad:
    'this app alone under open-model load at 70 % of the saturation throughput its trials reached in the same run (their median), after 3 s of unmeasured warm-up (quick: 2 s); rotations 5 s into the load (quick: 3 s), then one every 10 s (quick: 6 s), and as long after the last. The rotation window is the drill’s, stretched to the old pool’s drain (+1 s) when the app found the rotation later',
  serverLogConnections:
    'under heavy load, connections come from PostgreSQL’s own log (log_connections, log_disconnections, epoch-ms timestamps): each backend of the app’s roles from its start to its end, exactly, so a swap’s overlap of old and new connections is counted however short. Steady: the median number held outside the windows; peak: the most held at once in a window; opened: backends started in the window',
  heapGuard:
    'one this-app process through --heap-rotations alternating-users rotations (each one a pool swap) at 40 req/s, refreshing every second; after each swap’s old pool drained, two forced garbage collections and the V8 heap used, through the inspector on 127.0.0.1 (HeapProfiler.collectGarbage, Runtime.getHeapUsage). The heap after the last swap must stay within 5 % of the heap after the 2nd: a swap must not leak pools, listeners, timers or metric label sets',
  trial:
    'one fresh process of a variant, rotations off: started, ready, an open-model warm-up at --rate (not measured), the saturation run, then the common-rate run; stopped',
  interleaving:
    'round k runs every variant once, in the order rotated by k (baseline, this app, naive, wrapper; then this app, naive, wrapper, baseline; …), so a slow minute of the machine falls on all variants alike; --trials rounds',
  pairedRatio:
    'variant ÷ baseline of one round: the two trials ran minutes apart at most, on the same machine state. The ratio reported is the median of a variant\u2019s paired ratios',
  interval: `bootstrap 95 % percentile interval of the median paired ratio (${BOOTSTRAP_RESAMPLES} resamples, seeded, so the report recomputes to the same interval); with 5 pairs it spans about the lowest to the highest, with 7 the second lowest to the second highest`,
  noMeasurableDifference:
    'the interval contains 1.0: the run cannot tell the variant from the baseline; ±x % is how far the interval reaches from 1.0',
  noiseGauge:
    'the naive app serves exactly as the baseline does (the same plain pool; it only reads the secret once at startup): its ratios to the baseline are this run\u2019s noise, shown beside this app\u2019s',
  saturation: `successful answers per second with --concurrency requests always in flight (closed model: each worker sends its next request when the previous one is answered), after 1 s of the same load not counted (quick: 0.5 s); only requests sent and answered inside the measured time count`,
  openModel:
    'request i is due at start + i / rate whatever happened to earlier ones (proof/load/open-model.ts); latency runs from the intended send time to the end of the answer',
  commonRate:
    'an open-model run at --rate (the same for every variant, below every variant\u2019s saturation) after the saturation run: p50/p99 and CPU per request',
  cpuPerRequest:
    'user + system CPU time of the app process (/proc/<pid>/stat) during the common-rate run, per successful request: at a fixed rate below saturation every variant does the same work, so this is the cost figure least moved by the load generator and queueing',
  failed:
    'sent, and answered with another status than the request mix expects, or a network error, or no answer within 10 s',
  dropped:
    'never sent: due more than 1000 ms ago when the generator got to it, or 1000 requests already unanswered',
  startup: `from spawning the process to the first 200 on /health/ready (polled every ${READY_POLL_MS} ms); Secrets Manager calls and PostgreSQL connections in that time are what every new task of a scale-out costs`,
  connections: `client backends of the app\u2019s roles in pg_stat_activity, sampled every ${SAMPLE_INTERVAL_MS} ms (the rotation function\u2019s own connections excluded); opened: backends first seen during startup; peak: the most at once`,
  swapConnections:
    'in a rotation run, per rotation window: the most connections held over the steady count (median of the 2 s before the rotation); for this app under alternating users, what the make-before-break pool swap adds',
  rotationRun:
    'a fresh process at --rate while --rotations RotateSecret calls (the real four steps) run: the first 3 s into the load (quick: 1.5 s), then one every --rotation-spacing-seconds, and the load goes on for that long after the last. The spacing (max lifetime + 1 s) makes every variant open new connections between two rotations, as it would with rotations days apart. failed counts failed + dropped',
  rotationWindow: 'from RotateSecret to AWSCURRENT moved, plus 5 s',
  secretsManagerCalls:
    'the process\u2019s calls in the endpoint\u2019s call log (its access key id, inside its lifetime); steady: from ready to the end of each trial, pooled over the trials; per refresh interval = interval ÷ mean gap between calls',
  memory:
    'VmRSS and VmHWM (peak) from /proc/<pid>/status of the app process; in the trials, read after the common-rate run, which follows the saturation run (so the RSS is what the process kept from saturation; the peak is the saturation peak); side by side, at the end of each round, after its warm-up and windows at --side-by-side-rate and nothing else',
};

const isTrial = (t: VariantReport['trials'][number]): t is TrialResult => !('error' in t);

export function measuredTrials(v: Pick<VariantReport, 'trials'>): TrialResult[] {
  return v.trials.filter(isTrial);
}

export function summarizeTrials(trials: readonly TrialResult[], refreshSeconds: number): VariantSummary {
  const of = (f: (t: TrialResult) => number | null | undefined, digits = 3) =>
    spreadOf(trials.map(f), digits);
  return {
    trials: trials.length,
    startupSeconds: of((t) => t.startupSeconds, 2),
    startupCalls: of((t) => t.startupCalls.total, 1),
    startupConnectionsOpened: of((t) => t.startupConnections.opened, 1),
    startupConnectionsPeak: of((t) => t.startupConnections.peak, 1),
    saturationRps: of((t) => t.saturation.achievedRps, 1),
    cpuMsPerRequest: of((t) => t.cpuMsPerRequest),
    p50Ms: of((t) => t.common.latency.p50Ms, 2),
    p99Ms: of((t) => t.common.latency.p99Ms, 2),
    peakRssMiB: of((t) => t.memory?.peakRssMiB, 1),
    rssMiB: of((t) => t.memory?.rssMiB, 1),
    requestsServed: of((t) => t.requestsServed, 0),
    failedRequests: trials.reduce(
      (sum, t) => sum + t.saturation.failed + t.common.failed + t.common.dropped,
      0,
    ),
    secretsManager:
      trials.length > 0
        ? pooledSteadyCalls(
            trials.map((t) => t.secretsManager),
            refreshSeconds,
          )
        : null,
  };
}

/** Fills each variant's ratios to the baseline, pairing trials by round. */
export function fillRatios(variants: VariantReport[], rounds: number): void {
  const byRound = (v: VariantReport | undefined, f: (t: TrialResult) => number | null) => {
    const values: (number | null)[] = Array.from({ length: rounds }, () => null);
    for (const t of v ? measuredTrials(v) : []) values[t.round] = f(t);
    return values;
  };
  const base = variants.find((v) => v.name === 'baseline');
  const saturation = (t: TrialResult) => t.saturation.achievedRps;
  const cpu = (t: TrialResult) => t.cpuMsPerRequest;
  const p99 = (t: TrialResult) => t.common.latency.p99Ms;
  for (const v of variants) {
    v.ratios = {
      saturation: pairedRatio(byRound(v, saturation), byRound(base, saturation)),
      cpuPerRequest: pairedRatio(byRound(v, cpu), byRound(base, cpu)),
      p99: pairedRatio(byRound(v, p99), byRound(base, p99)),
    };
  }
}

export function isRotationResult(r: RotationResult | { error: string } | undefined): r is RotationResult {
  return r !== undefined && 'totals' in r;
}

const interval = (r: RatioEstimate, digits = 2) =>
  `${r.ci95[0].toFixed(digits)}–${r.ci95[1].toFixed(digits)}`;

/**
 * A cost target on an interval: met when the whole interval is on the right side of the bound,
 * missed when the whole of it is on the wrong side, undecided (null) when it spans the bound.
 */
export function costTarget(
  r: RatioEstimate | null,
  gauge: RatioEstimate | null,
  bound: number,
  higherIsBetter: boolean,
  quantity: string,
  pairsName = 'paired trials',
): { met: boolean | null; measured: string } {
  if (r === null) return { met: null, measured: `not evaluated (no ${pairsName} with the baseline)` };
  const [lo, hi] = r.ci95;
  const onTheRightSide = higherIsBetter ? lo >= bound : hi <= bound;
  const onTheWrongSide = higherIsBetter ? hi < bound : lo > bound;
  const enough = r.pairs.length >= MIN_PAIRS_TO_DECIDE;
  const met = !enough ? null : onTheRightSide ? true : onTheWrongSide ? false : null;
  const noise =
    gauge === null
      ? ''
      : `; noise gauge, naive ÷ baseline: ${gauge.median.toFixed(2)} × (${interval(gauge)})` +
        (containsOne(gauge) ? '' : ', which does not contain 1.0: this run\u2019s machine was unsteady');
  const undecided = !enough
    ? `; ${r.pairs.length} ${pairsName} are too few to decide (${MIN_PAIRS_TO_DECIDE} needed)`
    : met === null
      ? `; the interval spans ${bound}: the machine\u2019s noise is too large to decide in this run`
      : '';
  return { met, measured: `${describeRatio(r, quantity)}${undecided}${noise}` };
}

export function evaluateTargets(
  variants: readonly VariantReport[],
  options: BenchOptions,
  sideBySide: PairedCostResult | null,
  heavy: HeavyRotationsResult | null = null,
  heapGuard: HeapGuardResult | null = null,
): TargetCheck[] {
  const app = variants.find((v) => v.name === 'this-app');
  if (!app) return [];
  const naive = variants.find((v) => v.name === 'naive');
  const checks: TargetCheck[] = [];
  const failedWhenMeasured = app.error !== undefined ? { met: false as const } : {};
  const costs = [
    {
      name: 'throughput, rotations off',
      target: `this app ≥ ${THROUGHPUT_TARGET} × baseline at saturation (the interval\u2019s lower bound)`,
      ratio: (v: VariantReport | undefined) => v?.ratios.saturation ?? null,
      bound: THROUGHPUT_TARGET,
      higherIsBetter: true,
      quantity: 'throughput',
    },
  ];
  for (const c of costs)
    checks.push({
      name: c.name,
      target: c.target,
      ...costTarget(c.ratio(app), c.ratio(naive), c.bound, c.higherIsBetter, c.quantity),
      ...failedWhenMeasured,
      hard: options.strict,
    });
  checks.push(...sideBySideTargets(sideBySide, options));
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
  checks.push(...heavyLoadTargets(heavy, options), ...heapGuardTargets(heapGuard, options));
  const calls = app.summary.secretsManager;
  checks.push({
    name: 'Secrets Manager calls, steady',
    target: `≤ 1 per refresh interval per process (≤ ${ONE_PER_CYCLE_LIMIT} with the cycle\u2019s ±10 % jitter)`,
    measured: calls
      ? `${calls.perRefreshInterval} per ${calls.refreshSeconds} s interval (${calls.total} calls in ${calls.windowSeconds} s over ${app.summary.trials} trials)`
      : 'not measured',
    met: calls ? calls.perRefreshInterval <= ONE_PER_CYCLE_LIMIT : false,
    hard: true,
  });
  checks.push({
    name: 'rotations off: every request answered',
    target: '0 failed or dropped in the trials',
    measured: `${app.summary.failedRequests} failed or dropped over ${app.summary.trials} trials`,
    met: app.summary.trials > 0 && app.summary.failedRequests === 0,
    hard: true,
  });
  return checks;
}

/**
 * Rotations at 70 % of saturation, per strategy: no failed or dropped request, and the connections
 * held at once within 1.3 × the steady count (exact, from the server's log), always decide; the
 * rotation windows' p99 within twice the steady p99 decides with --strict.
 */
export function heavyLoadTargets(heavy: HeavyRotationsResult | null, options: BenchOptions): TargetCheck[] {
  if (options.heavyRotations === 0 || options.strategies.length === 0) return [];
  if (heavy === null)
    return [
      {
        name: 'rotations under heavy load',
        target: 'run',
        measured: 'not run (no saturation figure)',
        met: false,
        hard: true,
      },
    ];
  const { p99Ratio, connectionRatio } = HEAVY_ROTATION_GOALS;
  const pct = Math.round(heavy.settings.fraction * 100);
  return heavy.strategies.flatMap(({ strategy, result: r }): TargetCheck[] => {
    const name = `rotations at ${pct} % of saturation, ${strategy}`;
    if ('error' in r)
      return [
        { name, target: '0 failed requests', measured: `could not run: ${r.error}`, met: false, hard: true },
      ];
    return [
      {
        name,
        target: '0 failed or dropped requests, every rotation finished',
        measured:
          `${r.failed + r.dropped} failed or dropped of ${r.scheduled} at ${r.rate} req/s ` +
          `(${pct} % of ${heavy.saturationRps}), ${r.rotationsFinished}/${heavy.settings.rotations} rotations finished`,
        met: r.pass,
        hard: true,
      },
      {
        name: `${name}: latency`,
        target: `p99 in the rotation windows ≤ ${p99Ratio} × the steady p99`,
        measured:
          `${r.latency.windowP99Ms ?? '-'} ms in the windows, ${r.latency.steadyP99Ms ?? '-'} ms steady: ` +
          `${r.latency.ratio ?? '-'} ×`,
        met: r.latency.ratio === null ? null : r.latency.ratio <= p99Ratio,
        // A tail figure, moved by whatever else the machine runs: it decides with --strict, like the costs.
        hard: options.strict,
      },
      {
        name: `${name}: connections`,
        target: `the most held at once in a rotation window ≤ ${connectionRatio} × the steady count`,
        measured:
          `peak ${r.connections.peak}, steady ${r.connections.steady ?? '-'}: ${r.connections.peakOverSteady ?? '-'} ×; ` +
          `opened per window ${r.windows.map((w) => w.opened).join(', ')}`,
        met: r.connections.peakOverSteady === null ? null : r.connections.peakOverSteady <= connectionRatio,
        hard: true,
      },
    ];
  });
}

/** The make-before-break swap leaks nothing: heap after the last swap within 5 % of the heap after the 2nd. */
export function heapGuardTargets(heap: HeapGuardResult | null, options: BenchOptions): TargetCheck[] {
  if (options.heapRotations === 0) return [];
  const target =
    heap === null
      ? 'heap after GC after the last rotation ≤ 1.05 × after the 2nd'
      : `heap after GC after rotation ${heap.settings.rotations} ≤ ${heap.settings.maxGrowth} × after rotation ${heap.settings.referenceRotation}, 0 failed requests`;
  return [
    {
      name: 'memory across pool swaps',
      target,
      measured:
        heap === null
          ? 'could not run'
          : `${heap.referenceHeapMiB ?? '-'} → ${heap.lastHeapMiB ?? '-'} MiB (${heap.growth ?? '-'} ×) over ` +
            `${heap.rotations} swaps; ${heap.failed + heap.dropped} failed or dropped of ${heap.scheduled}` +
            (heap.reasons.length > 0 ? `; ${heap.reasons.join('; ')}` : ''),
      met: heap !== null && heap.pass && heap.failed + heap.dropped === 0,
      hard: true,
    },
  ];
}

/**
 * CPU per request from the side-by-side run, decided only when the run shows it can resolve 3 %:
 * the identical pair's interval (naive ÷ baseline) lies within GAUGE_BOUNDS. Whether that interval
 * also contains 1.0 is reported: the naive app loads the AWS SDK to read its secret, which the
 * baseline never does, and a measurement this fine can see it.
 */
export function sideBySideTargets(sideBySide: PairedCostResult | null, options: BenchOptions): TargetCheck[] {
  const gaugeTarget = `naive ÷ baseline side by side: the interval within ${GAUGE_BOUNDS[0]}–${GAUGE_BOUNDS[1]} (the run resolves 3 %)`;
  const cpuTarget = `this app ≤ ${CPU_TARGET} × baseline side by side at ${options.sideBySideRate} req/s (the interval\u2019s upper bound)`;
  const hard = options.strict;
  const app = sideBySide?.variants.find((v) => v.name === 'this-app')?.ratio ?? null;
  const gauge = sideBySide?.variants.find((v) => v.name === 'naive')?.ratio ?? null;
  if (sideBySide === null || gauge === null)
    return [
      { name: 'side by side: the identical pair', target: gaugeTarget, measured: 'not run', met: null, hard },
      { name: 'CPU per request, rotations off', target: cpuTarget, measured: 'not run', met: null, hard },
    ];
  const enough = gauge.pairs.length >= MIN_PAIRS_TO_DECIDE && sideBySide.rounds >= MIN_ROUNDS_TO_DECIDE;
  const resolves = gauge.ci95[0] >= GAUGE_BOUNDS[0] && gauge.ci95[1] <= GAUGE_BOUNDS[1];
  const few = `${sideBySide.rounds} round(s), ${gauge.pairs.length} windows: too few to decide (${MIN_ROUNDS_TO_DECIDE} rounds and ${MIN_PAIRS_TO_DECIDE} windows needed)`;
  const gaugeCheck: TargetCheck = {
    name: 'side by side: the identical pair',
    target: gaugeTarget,
    measured:
      `${gauge.median.toFixed(3)} × [${gauge.ci95[0].toFixed(3)}–${gauge.ci95[1].toFixed(3)}], ` +
      (containsOne(gauge) ? 'containing 1.0' : 'not containing 1.0') +
      (enough ? '' : `; ${few}`),
    met: enough ? resolves : null,
    hard,
  };
  const cost = costTarget(app, null, CPU_TARGET, false, 'CPU per request', 'windows');
  const cpuCheck: TargetCheck = {
    name: 'CPU per request, rotations off',
    target: cpuTarget,
    measured: !enough
      ? `${app ? describeRatio(app, 'CPU per request') : 'not measured'}; ${few}`
      : resolves
        ? cost.measured
        : `${cost.measured}; undecided: the identical pair's interval reached outside ${GAUGE_BOUNDS[0]}–${GAUGE_BOUNDS[1]} in this run`,
    met: enough && resolves ? cost.met : null,
    hard,
  };
  return [gaugeCheck, cpuCheck];
}

export function verdictOf(
  targets: readonly TargetCheck[],
  variants: readonly VariantReport[],
): BenchReport['verdict'] {
  const reasons: string[] = [];
  const app = variants.find((v) => v.name === 'this-app');
  if (app?.error !== undefined) reasons.push(`this app could not be measured: ${app.error}`);
  for (const t of targets)
    if (t.hard && t.met !== true)
      reasons.push(`${t.name}: ${t.met === null ? 'undecided: ' : ''}${t.measured} (target ${t.target})`);
  return { pass: reasons.length === 0, reasons };
}

// ---------------------------------------------------------------------------------------------

const fixed = (v: number, digits: number) => v.toFixed(digits);
const ms1 = (v: number | null) => (v === null ? '-' : v.toFixed(1));
/** "1.41 (1.38–1.45)": the median and the range over the trials. */
export function spreadCell(s: Spread | null, digits = 2): string {
  if (s === null) return '-';
  if (s.min === s.max) return fixed(s.median, digits);
  return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}
/** "1.02 × [0.98–1.05]": the median paired ratio and its 95 % interval. */
export function ratioCell(r: RatioEstimate | null, digits = 2): string {
  return r === null ? '-' : `${r.median.toFixed(digits)} × [${interval(r, digits)}]`;
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** The tables of a report: the same cells for the terminal and for docs/benchmarks.md. */
export function reportTables(report: BenchReport): Table[] {
  const o = report.options;
  const measured = report.variants.filter((v) => v.error === undefined && v.summary.trials > 0);
  const failedRow = (v: VariantReport, width: number) => [
    v.title,
    `could not run: ${v.error ?? 'no trial finished'}`,
    ...Array.from({ length: width - 2 }, () => ''),
  ];
  const rows = (width: number, cells: (v: VariantReport) => string[]) =>
    report.variants.map((v) => (measured.includes(v) ? cells(v) : failedRow(v, width)));

  const costHeader = [
    'variant',
    `CPU ms / req at ${o.rate} req/s`,
    'CPU ÷ baseline [95 %]',
    `req/s at saturation (${o.concurrency} in flight)`,
    'throughput ÷ baseline [95 %]',
    `p50 / p99 ms at ${o.rate} req/s`,
    'RSS peak MiB',
  ];
  const scaleHeader = [
    'variant',
    'ready in s',
    'SM calls at startup',
    'connections opened at startup',
    'most at once at startup',
    'extra connections in a swap',
    'SM calls / interval, steady',
  ];
  const swapExtra = (v: VariantReport) => {
    const r = v.rotations['alternating-users'];
    if (!isRotationResult(r) || r.connections.length === 0) return '-';
    return String(Math.max(...r.connections.map((c) => c.extra)));
  };
  const rotationHeader = ['variant', ...o.strategies.map((s) => `failed, ${s}`)];
  const sbs = report.sideBySide;
  const sideBySideTable: Table[] =
    sbs === null
      ? []
      : [
          {
            title:
              `CPU per request side by side (${sbs.rounds} rounds of fresh processes × ` +
              `${sbs.windows.length / Math.max(1, sbs.rounds)} windows of ${sbs.windowSeconds} s, ` +
              `all at ${sbs.rate} req/s at once; median (min–max) over the windows)`,
            header: [
              'variant',
              'CPU ms / req',
              'CPU ÷ baseline [95 %]',
              'RSS MiB',
              'RSS ÷ baseline',
              'failed',
            ],
            rows: sbs.variants.map((v) => [
              VARIANTS[v.name].title,
              spreadCell(v.cpuMsPerRequest, 3),
              v.name === 'baseline' ? '1' : ratioCell(v.ratio, 3),
              spreadCell(v.rssMiB, 0),
              v.name === 'baseline' ? '1' : v.rssRatio === null ? '-' : `${v.rssRatio.median.toFixed(2)} ×`,
              String(v.failed),
            ]),
          },
        ];
  const heavy = report.heavyRotations;
  const heavyTable: Table[] =
    heavy === null
      ? []
      : [
          {
            title:
              `This app under heavy load (alone, ${Math.round(heavy.settings.fraction * 100)} % of its saturation ` +
              `in this run, ${heavy.saturationRps} req/s: ${heavy.rate} req/s; ${heavy.settings.rotations} rotations per strategy)`,
            header: [
              'strategy',
              'failed + dropped',
              'p99 ms, windows / steady',
              'p99 ratio',
              'connections, peak / steady',
              'peak ratio',
              'opened per window',
            ],
            rows: heavy.strategies.map(({ strategy, result: r }) =>
              'error' in r
                ? [strategy, `could not run: ${r.error}`, '', '', '', '', '']
                : [
                    strategy,
                    `${r.failed + r.dropped} / ${r.scheduled}`,
                    `${ms1(r.latency.windowP99Ms)} / ${ms1(r.latency.steadyP99Ms)}`,
                    r.latency.ratio === null ? '-' : `${r.latency.ratio.toFixed(2)} ×`,
                    `${r.connections.peak} / ${r.connections.steady ?? '-'}`,
                    r.connections.peakOverSteady === null
                      ? '-'
                      : `${r.connections.peakOverSteady.toFixed(2)} ×`,
                    r.windows.map((w) => w.opened).join(', '),
                  ],
            ),
          },
        ];
  return [
    ...sideBySideTable,
    {
      title: `Cost, rotations off (median (min–max) of ${o.trials} interleaved trials per variant)`,
      header: costHeader,
      rows: rows(costHeader.length, (v) => {
        const s = v.summary;
        return [
          v.title,
          spreadCell(s.cpuMsPerRequest, 2),
          v.name === 'baseline' ? '1' : ratioCell(v.ratios.cpuPerRequest),
          spreadCell(s.saturationRps, 0),
          v.name === 'baseline' ? '1' : ratioCell(v.ratios.saturation),
          `${s.p50Ms?.median.toFixed(1) ?? '-'} / ${s.p99Ms?.median.toFixed(1) ?? '-'}`,
          spreadCell(s.peakRssMiB, 0),
        ];
      }),
    },
    {
      title: 'What a scale-out costs (per new process; median (min–max) over the trials)',
      header: scaleHeader,
      rows: rows(scaleHeader.length, (v) => {
        const s = v.summary;
        return [
          v.title,
          spreadCell(s.startupSeconds, 2),
          spreadCell(s.startupCalls, 0),
          spreadCell(s.startupConnectionsOpened, 0),
          spreadCell(s.startupConnectionsPeak, 0),
          swapExtra(v),
          s.secretsManager && s.secretsManager.total > 0 ? String(s.secretsManager.perRefreshInterval) : '0',
        ];
      }),
    },
    {
      title: `Rotations on (failed + dropped of the requests scheduled; ${o.rotations} rotations in ${o.rotationSeconds} s at ${o.rate} req/s)`,
      header: rotationHeader,
      rows: rows(rotationHeader.length, (v) => [
        v.title,
        ...o.strategies.map((strategy) => {
          const r = v.rotations[strategy];
          if (!isRotationResult(r)) return r ? 'error' : '-';
          const bad = r.totals.failed + r.totals.dropped;
          const note = v.underRotation === 'expected-to-fail' && bad > 0 ? ' (expected)' : '';
          return `${bad} / ${r.totals.scheduled}${note}`;
        }),
      ]),
    },
    ...heavyTable,
  ];
}

export function summaryTable(report: BenchReport): string {
  const out: string[] = [];
  for (const t of reportTables(report)) {
    const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    out.push(t.title, line(t.header), ...t.rows.map(line), '');
  }
  for (const t of report.targets) {
    const state = t.met === null ? 'UNDECIDED' : t.met ? 'MET' : 'MISSED';
    out.push(
      `target ${t.name}: ${state} — ${t.measured} (target ${t.target}${t.hard ? '' : '; informational without --strict'})`,
    );
  }
  out.push(report.verdict.pass ? 'verdict: PASS' : `verdict: FAIL (${report.verdict.reasons.join('; ')})`);
  return out.join('\n');
}
