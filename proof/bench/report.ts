/** The bench's report: the JSON document (what a run measured) and what builds it from the parts. */
import type { LeakScan } from '../drill/index.js';
import type { RotationStrategy } from '../../rotation/public.js';
import type { HeapGuardResult } from './heap-guard.js';
import type { HeavyRotationsResult } from './heavy-rotations.js';
import type { MachineInfo } from './machine.js';
import type { PairedCostResult } from './paired-cost.js';
import type { BenchOptions } from './options.js';
import { READY_POLL_MS, type RotationResult } from './phases.js';
import { SAMPLE_INTERVAL_MS } from './pg-connections.js';
import { pooledSteadyCalls, type SteadyCalls } from './sm-calls.js';
import { BOOTSTRAP_RESAMPLES, pairedRatio, spreadOf, type RatioEstimate, type Spread } from './stats.js';
import type { TrialResult } from './trial.js';
import type { RotationExpectation, VariantName } from './variants.js';

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
