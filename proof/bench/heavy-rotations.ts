/**
 * Rotations under heavy load: for each strategy, one fresh this-app process under open-model load
 * at a fraction (70 %) of the saturation throughput this app reached in the same run, through a few
 * rotations spaced so that steady seconds lie before, between and after them. What a rotation costs
 * when the pool is busy: failed requests (none allowed), p99 in the rotation windows over the steady
 * p99, and the connections held at once during each window over the steady count, exactly, from the
 * server's own log (connection-log.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AppProcess } from '../../local/app-process.js';
import type { RotationStrategy } from '../../rotation/public.js';
import { loadScenario, perSecond, RequestMix, splitWindows } from '../load/index.js';
import { scrapeTask } from '../drill/index.js';
import {
  appBackends,
  logOffset,
  openedIn,
  parseConnectionLog,
  peakAlive,
  readLogFrom,
  steadyAlive,
} from './connection-log.js';
import {
  loggedErrors,
  rotationSchedule,
  SETTLE_SECONDS,
  withProcess,
  type PhaseContext,
  type RotationRun,
} from './phases.js';
import { firstAfter, followPoolEvents } from './pool-events.js';
import { round, runStep } from './step.js';
import { spawnVariant } from './variants.js';
import { firstLine } from './first-line.js';

export interface HeavyRotationSettings {
  /** The load, as a fraction of this app's saturation throughput. */
  fraction: number;
  /**
   * Unmeasured load at the same rate first: a fresh process's first seconds at this rate (JIT, the
   * pool growing) are slower than anything a rotation does, and would count as steady time.
   */
  warmupSeconds: number;
  rotations: number;
  /** Seconds of load before the first rotation. */
  leadSeconds: number;
  /** Seconds between two rotations, and after the last one. */
  spacingSeconds: number;
}

export const HEAVY_ROTATION_DEFAULTS: HeavyRotationSettings = {
  fraction: 0.7,
  warmupSeconds: 3,
  rotations: 3,
  leadSeconds: 5,
  spacingSeconds: 10,
};

/** What the results are held to besides the verdict (no failed or dropped request). */
export const HEAVY_ROTATION_GOALS = { p99Ratio: 2, connectionRatio: 1.3 };

export interface HeavyWindow {
  index: number;
  rotation: RotationRun;
  /** The window, in seconds from the start of the load. */
  fromSeconds: number;
  toSeconds: number;
  /** When the app swapped its pool, in seconds from the start of the load (null: no swap in it). */
  swapAtSeconds: number | null;
  /** The most backends the app held at once in the window. */
  peak: number;
  /** Backends the app opened in the window. */
  opened: number;
  /** peak ÷ the run's steady count. */
  peakOverSteady: number | null;
}

export interface HeavyStrategyResult {
  strategy: RotationStrategy;
  rate: number;
  durationSeconds: number;
  scheduled: number;
  ok: number;
  failed: number;
  dropped: number;
  failedByReason: Record<string, number>;
  latency: {
    steadyP99Ms: number | null;
    windowP99Ms: number | null;
    /** windowP99Ms ÷ steadyP99Ms */
    ratio: number | null;
  };
  connections: {
    /** The median over time of the backends held outside the windows. */
    steady: number | null;
    /** The largest of the windows' peaks, and over the steady count. */
    peak: number;
    peakOverSteady: number | null;
  };
  windows: HeavyWindow[];
  /** p99 of each second of the load (by intended send time), for a chart. */
  perSecondP99Ms: (number | null)[];
  rotationsFinished: number;
  /** db_pool_swaps_total at the end (alternating users: one per rotation). */
  poolSwaps: number | null;
  errors: { message: string; count: number }[];
  /** No failed or dropped request, every rotation finished. */
  pass: boolean;
  goals: { p99Ratio: boolean; connectionRatio: boolean };
}

export interface HeavyRotationsResult {
  saturationRps: number;
  settings: HeavyRotationSettings;
  rate: number;
  strategies: { strategy: RotationStrategy; result: HeavyStrategyResult | { error: string } }[];
  verdict: { pass: boolean; reasons: string[] };
}

/**
 * Runs every strategy in turn. `saturationRps`: the median of this app's trials'
 * saturation.achievedRps. `onSpawn` sees each process (its output lines for the leak scan).
 */
export async function runHeavyRotations(
  ctx: PhaseContext,
  saturationRps: number,
  options: {
    strategies?: readonly RotationStrategy[];
    settings?: Partial<HeavyRotationSettings>;
    onSpawn?: (task: AppProcess, source: string) => void;
  } = {},
): Promise<HeavyRotationsResult> {
  const settings = { ...HEAVY_ROTATION_DEFAULTS, ...options.settings };
  const rate = round(settings.fraction * saturationRps, 0);
  const strategies: HeavyRotationsResult['strategies'] = [];
  for (const strategy of options.strategies ?? (['alternating-users', 'single-user'] as const)) {
    ctx.say(`this app under heavy load: ${settings.rotations} ${strategy} rotations at ${rate} req/s`);
    try {
      const result = await heavyRotationRun(ctx, strategy, rate, settings, options.onSpawn);
      ctx.say(`this app under heavy load, ${describeHeavyStrategy(result)}`);
      strategies.push({ strategy, result });
    } catch (err) {
      const error = firstLine(err);
      ctx.say(`this app under heavy load, ${strategy}: could not run: ${error}`);
      strategies.push({ strategy, result: { error } });
    }
  }
  const reasons = strategies.flatMap(({ strategy, result: r }) => {
    if ('error' in r) return [`${strategy} under heavy load: ${r.error}`];
    if (r.pass) return [];
    return [
      `${strategy} under heavy load: ${r.failed} failed, ${r.dropped} dropped, ` +
        `${r.rotationsFinished}/${settings.rotations} rotations finished`,
    ];
  });
  return { saturationRps, settings, rate, strategies, verdict: { pass: reasons.length === 0, reasons } };
}

async function heavyRotationRun(
  ctx: PhaseContext,
  strategy: RotationStrategy,
  rate: number,
  settings: HeavyRotationSettings,
  onSpawn?: (task: AppProcess, source: string) => void,
): Promise<HeavyStrategyResult> {
  const { bench, options } = ctx;
  const logFile = bench.stack.postgres.logFile;
  const fromByte = await logOffset(logFile);
  const durationSeconds = settings.leadSeconds + settings.rotations * settings.spacingSeconds;
  const spawn = async () => {
    const task = await spawnVariant('this-app', bench, {});
    onSpawn?.(task, `this-app heavy ${strategy}`);
    return task;
  };
  const { value } = await withProcess(ctx, spawn, async (task, _readyAt, connections) => {
    // The server log counts the connections; the sampling queries would only load the server.
    await connections.stop();
    const { events } = followPoolEvents(task.child.stdout);
    const mix = new RequestMix(loadScenario(), {
      seed: options.seed,
      keyPrefix: `${ctx.runId}-heavy-${strategy}`,
    });
    if (settings.warmupSeconds > 0) await runStep(task.url, mix, rate, settings.warmupSeconds);
    const outcomes: { run: RotationRun; requestedAt: number; finishedAt: number }[] = [];
    let rotations: Promise<void> = Promise.resolve();
    const schedule = rotationSchedule({
      rotations: settings.rotations,
      rotationLeadSeconds: settings.leadSeconds,
      rotationSpacingSeconds: settings.spacingSeconds,
    });
    const { result, records, startedAt } = await runStep(
      task.url,
      mix,
      rate,
      durationSeconds,
      undefined,
      (loadStart) => {
        rotations = (async () => {
          for (const [index, atMs] of schedule.entries()) {
            await delay(Math.max(0, loadStart + atMs - Date.now()));
            const o = await bench.rotate(strategy);
            outcomes.push({
              run: {
                index: index + 1,
                ok: o.ok,
                ...(o.error !== undefined && { error: o.error }),
                requestedAtSeconds: round((o.requestedAt - loadStart) / 1000, 2),
                durationMs: o.finishedAt - o.requestedAt,
              },
              requestedAt: o.requestedAt,
              finishedAt: o.finishedAt,
            });
          }
        })();
      },
    );
    await rotations;
    const loadEnd = startedAt + durationSeconds * 1000;
    const metrics = await scrapeTask(task.url);
    const lives = appBackends(parseConnectionLog(await readLogFrom(logFile, fromByte)), bench.appRoles);

    // The drill's rotation window (RotateSecret … AWSCURRENT moved, plus the settle time), stretched
    // to the old pool's drain when the app's refresh found the new user late in it: the swap and
    // the connections it overlaps must count as the rotation's, not as steady time.
    const spans = outcomes.map((o) => {
      const swap = firstAfter(events, 'swap', o.requestedAt);
      const inWindow = swap !== null && (outcomes[o.run.index]?.requestedAt ?? Infinity) > swap.atMs;
      const drained = inWindow ? firstAfter(events, 'drained', swap.atMs) : null;
      return {
        fromMs: o.requestedAt,
        toMs: Math.max(o.finishedAt + SETTLE_SECONDS * 1000, (drained?.atMs ?? 0) + 1000),
        swapAtMs: inWindow ? swap.atMs : null,
      };
    });
    const split = splitWindows(
      records,
      spans.map((s) => ({ startMs: s.fromMs - startedAt, endMs: s.toMs - startedAt })),
    );
    const steady = steadyAlive(lives, startedAt, loadEnd, spans);
    const ratio = (a: number | null, b: number | null) =>
      a === null || b === null || b === 0 ? null : round(a / b, 2);
    const windows: HeavyWindow[] = outcomes.map((o, i) => {
      const span = spans[i] ?? { fromMs: o.requestedAt, toMs: o.finishedAt, swapAtMs: null };
      const peak = peakAlive(lives, span.fromMs, span.toMs);
      return {
        index: o.run.index,
        rotation: o.run,
        fromSeconds: round((span.fromMs - startedAt) / 1000, 2),
        toSeconds: round((span.toMs - startedAt) / 1000, 2),
        swapAtSeconds: span.swapAtMs === null ? null : round((span.swapAtMs - startedAt) / 1000, 2),
        peak,
        opened: openedIn(lives, span.fromMs, span.toMs),
        peakOverSteady: ratio(peak, steady),
      };
    });
    const peak = Math.max(0, ...windows.map((w) => w.peak));
    const latencyRatio = ratio(split.rotation.p99Ms, split.steady.p99Ms);
    const peakOverSteady = ratio(peak, steady);
    const rotationsFinished = outcomes.filter((o) => o.run.ok).length;
    return {
      strategy,
      rate,
      durationSeconds,
      scheduled: result.scheduled,
      ok: result.ok,
      failed: result.failed,
      dropped: result.dropped,
      failedByReason: result.failedByReason,
      latency: { steadyP99Ms: split.steady.p99Ms, windowP99Ms: split.rotation.p99Ms, ratio: latencyRatio },
      connections: { steady, peak, peakOverSteady },
      windows,
      perSecondP99Ms: perSecond(records, durationSeconds).map((p) => p.p99Ms),
      rotationsFinished,
      poolSwaps: metrics?.poolSwaps ?? null,
      errors: loggedErrors(task.lines),
      pass: result.failed + result.dropped === 0 && rotationsFinished === settings.rotations,
      goals: {
        p99Ratio: latencyRatio !== null && latencyRatio <= HEAVY_ROTATION_GOALS.p99Ratio,
        connectionRatio: peakOverSteady !== null && peakOverSteady <= HEAVY_ROTATION_GOALS.connectionRatio,
      },
    };
  });
  return value;
}

export function describeHeavyStrategy(r: HeavyStrategyResult): string {
  const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  return (
    `${r.strategy} at ${r.rate} req/s: ${r.failed} failed, ${r.dropped} dropped of ${r.scheduled}, ` +
    `${r.rotationsFinished}/${r.windows.length} rotations, ${r.poolSwaps ?? '-'} pool swaps; ` +
    `p99 ${ms(r.latency.windowP99Ms)} ms in the windows / ${ms(r.latency.steadyP99Ms)} steady = ${r.latency.ratio ?? '-'}; ` +
    `connections peak ${r.connections.peak} / steady ${r.connections.steady ?? '-'} = ${r.connections.peakOverSteady ?? '-'}` +
    `, opened per window ${r.windows.map((w) => w.opened).join(' ')}`
  );
}

export function describeHeavyRotations(r: HeavyRotationsResult): string {
  return (
    `heavy rotations at ${r.rate} req/s (${r.settings.fraction} × ${r.saturationRps}): ` +
    r.strategies
      .map(({ strategy, result }) =>
        'error' in result
          ? `${strategy} could not run (${result.error})`
          : `${strategy} ${result.failed + result.dropped} failed/dropped, p99 ratio ${result.latency.ratio ?? '-'}, ` +
            `connections ${result.connections.peak}/${result.connections.steady ?? '-'}`,
      )
      .join('; ') +
    (r.verdict.pass ? ' — pass' : ` — FAIL: ${r.verdict.reasons.join('; ')}`)
  );
}
