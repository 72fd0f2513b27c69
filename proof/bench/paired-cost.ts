/**
 * CPU per request measured side by side: the variants run at the same time, each behind its own
 * open-model load at the same rate and the same request sequence, and their CPU time is read over
 * the same seconds. Whatever else the machine does in a window (another process, a frequency
 * change, a noisy neighbour of the VM) falls on all of them alike, so the ratio of two variants in
 * one window carries little of it; sequential trials, minutes apart, carry all of it.
 *
 * One generator process sends every request: request i of window k is due for every variant at
 * start + i / rate, each variant offset by a fraction of the gap between two requests, and the
 * order of the offsets turns by one each window, so no variant is always the first to be asked.
 */
import {
  loadScenario,
  now,
  RequestMix,
  startOpenModel,
  TargetPool,
  type RequestRecord,
} from '../load/index.js';
import { killIfRunning, stopAll, waitUntilReady, type AppProcess } from '../../local/app-process.js';
import { SIDE_BY_SIDE_REFRESH_SECONDS } from './options.js';
import type { PhaseContext } from './phases.js';
import { readMemory, readPreciseCpuMs, type MemoryReading } from './proc-stats.js';
import {
  clusteredMedianInterval,
  pairedRatio,
  ratiosOf,
  spreadOf,
  type RatioEstimate,
  type Spread,
} from './stats.js';
import { round, STEP_SETTINGS } from './step.js';
import { interleavedOrder } from './trial.js';
import type { VariantName } from './variants.js';

/**
 * The variants measured side by side. Not the wrapper: its memory grows with every request and it
 * costs twice the CPU, which would change the machine the others share.
 */
export const SIDE_BY_SIDE_VARIANTS: readonly VariantName[] = ['baseline', 'this-app', 'naive'];

/**
 * The side-by-side processes run as shipped: the app's default refresh interval and connection
 * lifetime. The first health cycle of a process is its first DescribeSecret, paid once (the SDK's
 * code is cold); the warm-up lasts past it, and the windows of a round span whole intervals, so
 * what is measured is what every later interval costs.
 */
export const SIDE_BY_SIDE_ENV = {
  CREDENTIAL_REFRESH_SECONDS: String(SIDE_BY_SIDE_REFRESH_SECONDS),
  DB_POOL_MAX_LIFETIME_SECONDS: '300',
};

export interface PairedWindow {
  /** Which set of processes (0-based): each round starts fresh ones. */
  round: number;
  index: number;
  /** The variants in the order their requests were offset in this window. */
  order: VariantName[];
  /** CPU time each process's threads ran in the window, ms. */
  cpuMs: Partial<Record<VariantName, number>>;
  /** Successful answers each process gave in the window. */
  ok: Partial<Record<VariantName, number>>;
  /** Failed or dropped requests per process in the window. */
  failed: Partial<Record<VariantName, number>>;
}

export interface PairedVariant {
  name: VariantName;
  /** CPU ms per successful request over the windows. */
  cpuMsPerRequest: Spread | null;
  /**
   * variant ÷ baseline of each window, their median and its 95 % interval, bootstrapped by round
   * and then by window (baseline: null).
   */
  ratio: RatioEstimate | null;
  /** Resident memory at the end of each round, ratio to the baseline's (baseline: null). */
  rssMiB: Spread | null;
  rssRatio: RatioEstimate | null;
  failed: number;
  exitCodes: (number | null)[];
}

export interface PairedCostResult {
  /** Requests per second each process received. */
  rate: number;
  rounds: number;
  warmupSeconds: number;
  windowSeconds: number;
  windows: PairedWindow[];
  variants: PairedVariant[];
  wallSeconds: number;
}

export interface PairedCostSettings {
  rate: number;
  rounds: number;
  /** Windows per round. */
  windows: number;
  warmupSeconds: number;
  windowSeconds: number;
}

/** Time between reading the processes' CPU and the first request of a window, ms. */
const WINDOW_LEAD_MS = 20;

/**
 * Two processes of the same code differ by a percent or so (where their memory landed, what the JIT
 * decided, which one started first), and windows of one pair of processes cannot average that out.
 * So each round starts a fresh set, in a turned order, and the interval is bootstrapped by round.
 */
export async function runPairedCost(
  ctx: PhaseContext,
  names: readonly VariantName[],
  spawn: (name: VariantName) => Promise<AppProcess>,
  settings: PairedCostSettings,
): Promise<PairedCostResult> {
  const started = Date.now();
  const windows: PairedWindow[] = [];
  const memory = new Map<VariantName, (MemoryReading | null)[]>(names.map((n) => [n, []]));
  const exitCodes = new Map<VariantName, (number | null)[]>(names.map((n) => [n, []]));
  for (let round_ = 0; round_ < settings.rounds; round_++) {
    const tasks = new Map<VariantName, AppProcess>();
    try {
      // One at a time: their startups would otherwise compete for the same cores and Secrets Manager.
      for (const name of interleavedOrder(names, round_)) {
        const task = await spawn(name);
        tasks.set(name, task);
        await waitUntilReady(task, 50);
      }
      const mixes = new Map(
        names.map((name) => [
          name,
          // The same seed for every variant: the same requests in the same order; keys of their
          // own, since the processes share one database.
          new RequestMix(loadScenario(), {
            seed: ctx.options.seed + round_,
            keyPrefix: `${ctx.runId}-paired-r${round_}-${name}`,
          }),
        ]),
      );
      const runWindow = (order: VariantName[], seconds: number) =>
        loadWindow(order, tasks, mixes, settings.rate, seconds);

      if (settings.warmupSeconds > 0) await runWindow([...names], settings.warmupSeconds);
      for (let w = 0; w < settings.windows; w++) {
        const index = round_ * settings.windows + w;
        const order = interleavedOrder(names, index);
        const before = await readAll(tasks);
        const records = await runWindow(order, settings.windowSeconds);
        const after = await readAll(tasks);
        const window: PairedWindow = {
          round: round_,
          index: index + 1,
          order,
          cpuMs: {},
          ok: {},
          failed: {},
        };
        for (const name of names) {
          const b = before.get(name);
          const a = after.get(name);
          const rs = records.get(name) ?? [];
          window.ok[name] = rs.filter((r) => r.outcome === 'ok').length;
          window.failed[name] = rs.length - (window.ok[name] ?? 0);
          if (a != null && b != null) window.cpuMs[name] = round(a - b, 3);
        }
        windows.push(window);
        ctx.say(
          `side by side, round ${round_ + 1}/${settings.rounds}, window ${w + 1}/${settings.windows}: ` +
            describeWindow(window, names),
        );
      }
      for (const name of names) memory.get(name)?.push(await readMemory(tasks.get(name)?.child.pid));
      const codes = await stopAll(names.map((name) => tasks.get(name) as AppProcess));
      names.forEach((name, i) => exitCodes.get(name)?.push(codes[i] ?? null));
    } finally {
      for (const task of tasks.values()) killIfRunning(task);
    }
  }
  return {
    rate: settings.rate,
    rounds: settings.rounds,
    warmupSeconds: settings.warmupSeconds,
    windowSeconds: settings.windowSeconds,
    windows,
    variants: summarizeVariants(names, windows, memory, exitCodes),
    wallSeconds: round((Date.now() - started) / 1000, 1),
  };
}

export function summarizeVariants(
  names: readonly VariantName[],
  windows: readonly PairedWindow[],
  memory: ReadonlyMap<VariantName, readonly (MemoryReading | null)[]>,
  exitCodes: ReadonlyMap<VariantName, readonly (number | null)[]>,
): PairedVariant[] {
  const rounds = [...new Set(windows.map((w) => w.round))];
  const perRequest = (name: VariantName, ws: readonly PairedWindow[] = windows) =>
    ws.map((w) => cpuPerRequest(w, name));
  const rss = (name: VariantName) => (memory.get(name) ?? []).map((m) => m?.rssMiB ?? null);
  return names.map((name): PairedVariant => {
    const compared = name !== 'baseline' && names.includes('baseline');
    return {
      name,
      cpuMsPerRequest: spreadOf(perRequest(name)),
      ratio: compared
        ? pairedRatio(perRequest(name), perRequest('baseline'), () =>
            clusteredMedianInterval(
              rounds.map((r) => {
                const ws = windows.filter((w) => w.round === r);
                return ratiosOf(perRequest(name, ws), perRequest('baseline', ws));
              }),
            ),
          )
        : null,
      rssMiB: spreadOf(rss(name), 1),
      rssRatio: compared ? pairedRatio(rss(name), rss('baseline')) : null,
      failed: windows.reduce((sum, w) => sum + (w.failed[name] ?? 0), 0),
      exitCodes: [...(exitCodes.get(name) ?? [])],
    };
  });
}

/** CPU ms per successful request of one process in one window (null: not measured). */
export function cpuPerRequest(window: PairedWindow, name: VariantName): number | null {
  const cpu = window.cpuMs[name];
  const ok = window.ok[name] ?? 0;
  return cpu === undefined || ok === 0 ? null : cpu / ok;
}

/**
 * Every process under load at `rate` for `seconds`, on one schedule: the variant in place p of
 * `order` gets its request i at start + (i + p / n) / rate.
 */
async function loadWindow(
  order: readonly VariantName[],
  tasks: ReadonlyMap<VariantName, AppProcess>,
  mixes: ReadonlyMap<VariantName, RequestMix>,
  rate: number,
  seconds: number,
): Promise<Map<VariantName, RequestRecord[]>> {
  const startAt = now() + WINDOW_LEAD_MS;
  const runs = order.map((name, place) => {
    const task = tasks.get(name);
    const mix = mixes.get(name);
    if (!task || !mix) throw new Error(`${name} is not running`);
    const run = startOpenModel({
      rate,
      durationMs: seconds * 1000,
      mix,
      targets: new TargetPool({ urls: [task.url] }),
      startAt: startAt + (place * 1000) / rate / order.length,
      ...STEP_SETTINGS,
    });
    return { name, run };
  });
  await Promise.all(runs.map(({ run }) => run.done));
  return new Map(runs.map(({ name, run }) => [name, run.records]));
}

async function readAll(
  tasks: ReadonlyMap<VariantName, AppProcess>,
): Promise<Map<VariantName, number | null>> {
  const readings = await Promise.all(
    [...tasks].map(async ([name, t]) => [name, await readPreciseCpuMs(t.child.pid)] as const),
  );
  return new Map(readings);
}

function describeWindow(w: PairedWindow, names: readonly VariantName[]): string {
  return names
    .map((name) => {
      const perRequest = cpuPerRequest(w, name);
      const failed = w.failed[name] ?? 0;
      return `${name} ${perRequest === null ? '-' : perRequest.toFixed(3)} ms/req${failed > 0 ? ` (${failed} failed)` : ''}`;
    })
    .join(', ');
}
