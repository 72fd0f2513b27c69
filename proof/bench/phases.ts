/**
 * The two kinds of run the bench makes of a variant, each in a fresh process:
 * - steady: rotations off; warm-up, the stepped search, then a fixed-rate run at the common rate;
 * - rotation: the common rate for a fixed time while Secrets Manager rotates (one strategy).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { loadScenario, RequestMix, splitWindows, type WindowSplit } from '../load/index.js';
import type { RotationStrategy } from '../../rotation/config.js';
import type { AppProcess } from '../../local/app-process.js';
import { scrapeTask, stopAll, waitUntilReady } from '../drill/index.js';
import { readCpuMs, readMemory, type MemoryReading } from './proc-stats.js';
import type { BenchOptions } from './options.js';
import { search, type SearchOutcome } from './search.js';
import { countCalls, steadyCalls, type CallCount, type SteadyCalls } from './sm-calls.js';
import type { BenchStack } from './stack.js';
import { round, runStep, type StepResult } from './step.js';

/** Seconds after finishSecret that still count as the rotation window (as in the drill). */
export const SETTLE_SECONDS = 5;

export interface ProcessFigures {
  /** From spawning to a 200 on /health/ready. */
  startupSeconds: number;
  /** Secrets Manager calls from spawning to ready. */
  startupCalls: CallCount;
  memory: MemoryReading | null;
  exitCode: number | null;
}

export interface SteadyResult extends ProcessFigures {
  search: SearchOutcome;
  /** The fixed-rate run at the common rate. */
  common: StepResult;
  /** CPU time (user + system) of the app process per successful request during the common-rate run. */
  cpuMsPerRequest: number | null;
  /** Successful requests the process served in all (warm-up, search, common rate): memory is read after them. */
  requestsServed: number;
  secretsManager: SteadyCalls;
}

export interface RotationRun {
  index: number;
  ok: boolean;
  error?: string;
  /** From the start of the load. */
  requestedAtSeconds: number;
  durationMs: number;
}

export interface RotationResult extends ProcessFigures {
  strategy: RotationStrategy;
  totals: StepResult;
  windows: WindowSplit;
  rotations: RotationRun[];
  /** Seconds from the first rotation to the first failed request (null: none failed). */
  firstFailureAfterFirstRotationSeconds: number | null;
  /** When the last failed or dropped request was due, in seconds from the start of the load (null: none). */
  lastFailureAtSeconds: number | null;
  /** Secrets Manager calls while the load ran. */
  secretsManager: CallCount;
  /** Pool swaps the process reported on /metrics (this app only; null elsewhere). */
  poolSwaps: number | null;
  /** The process's own account of its failed requests: the commonest error messages it logged. */
  errors: { message: string; count: number }[];
}

export interface PhaseContext {
  bench: BenchStack;
  options: BenchOptions;
  say: (line: string) => void;
  /** A unique prefix for Idempotency-Keys. */
  runId: string;
}

/** Spawns, waits for readiness, runs `work`, reads memory, stops: the process never outlives this. */
async function withProcess<T>(
  ctx: PhaseContext,
  spawn: () => Promise<AppProcess>,
  work: (task: AppProcess, readyAt: number) => Promise<T>,
): Promise<{ value: T; figures: ProcessFigures }> {
  const spawnedAt = Date.now();
  const task = await spawn();
  try {
    await waitUntilReady(task);
    const readyAt = Date.now();
    const value = await work(task, readyAt);
    const memory = await readMemory(task.child.pid);
    const [exitCode = null] = await stopAll([task]);
    return {
      value,
      figures: {
        startupSeconds: round((readyAt - spawnedAt) / 1000, 2),
        startupCalls: countCalls(
          ctx.bench.stack.secretsManager.calls,
          ctx.bench.appCaller,
          spawnedAt,
          readyAt,
        ),
        memory,
        exitCode,
      },
    };
  } finally {
    if (task.child.exitCode === null && task.child.signalCode === null) task.child.kill('SIGKILL');
  }
}

export async function steadyPhase(
  ctx: PhaseContext,
  label: string,
  spawn: () => Promise<AppProcess>,
): Promise<SteadyResult> {
  const { options, say } = ctx;
  const { value, figures } = await withProcess(ctx, spawn, async (task, readyAt) => {
    const mix = new RequestMix(loadScenario(), {
      seed: options.seed,
      keyPrefix: `${ctx.runId}-${label}-steady`,
    });
    let served = 0;
    const step = async (rps: number, seconds: number) => {
      const { result } = await runStep(task.url, mix, rps, seconds);
      served += result.ok;
      await delay(options.restMs);
      return result;
    };
    if (options.warmupSeconds > 0) await step(options.startRate, options.warmupSeconds);
    const outcome = await search(
      {
        startRps: options.startRate,
        factor: options.stepFactor,
        maxRps: options.maxRate,
        bisections: options.bisections,
        latencyTargetMs: options.latencyTargetMs,
        confirmMisses: options.repeatMisses,
        maxSteps: options.maxSteps,
      },
      async (rps) => {
        const r = await step(rps, options.stepSeconds);
        if (!options.quiet) say(`${label}: ${describeStep(r)}`);
        return r;
      },
    );
    const cpuBefore = await readCpuMs(task.child.pid);
    const { result: common } = await runStep(task.url, mix, options.rate, options.commonSeconds);
    served += common.ok;
    const cpuAfter = await readCpuMs(task.child.pid);
    const cpuMsPerRequest =
      cpuBefore !== null && cpuAfter !== null && common.ok > 0
        ? round((cpuAfter - cpuBefore) / common.ok, 3)
        : null;
    say(`${label}: common rate ${describeStep(common)}, app CPU ${cpuMsPerRequest ?? '-'} ms per request`);
    const endedAt = Date.now();
    return {
      cpuMsPerRequest,
      requestsServed: served,
      search: outcome,
      common,
      secretsManager: steadyCalls(
        ctx.bench.stack.secretsManager.calls,
        ctx.bench.appCaller,
        readyAt,
        endedAt,
        options.refreshSeconds,
      ),
    };
  });
  return { ...value, ...figures };
}

export async function rotationPhase(
  ctx: PhaseContext,
  label: string,
  strategy: RotationStrategy,
  spawn: () => Promise<AppProcess>,
): Promise<RotationResult> {
  const { options, bench, say } = ctx;
  const { value, figures } = await withProcess(ctx, spawn, async (task) => {
    const mix = new RequestMix(loadScenario(), {
      seed: options.seed,
      keyPrefix: `${ctx.runId}-${label}-${strategy}`,
    });
    const runs: RotationRun[] = [];
    const windows: { startMs: number; endMs: number }[] = [];
    let rotations: Promise<void> = Promise.resolve();
    let loadStart = 0;
    const { result, records } = await runStep(
      task.url,
      mix,
      options.rate,
      options.rotationSeconds,
      undefined,
      (startedAt) => {
        loadStart = startedAt;
        rotations = (async () => {
          for (const [index, atMs] of rotationSchedule(options).entries()) {
            await delay(Math.max(0, startedAt + atMs - Date.now()));
            const o = await bench.rotate(strategy);
            runs.push({
              index: index + 1,
              ok: o.ok,
              ...(o.error !== undefined && { error: o.error }),
              requestedAtSeconds: round((o.requestedAt - startedAt) / 1000, 2),
              durationMs: o.finishedAt - o.requestedAt,
            });
            windows.push({
              startMs: o.requestedAt - startedAt,
              endMs: o.finishedAt - startedAt + SETTLE_SECONDS * 1000,
            });
          }
        })();
      },
    );
    await rotations;
    const firstRotationMs = windows[0]?.startMs;
    const firstFailure = records.find(
      (r) => r.outcome !== 'ok' && (firstRotationMs === undefined || r.intendedMs >= firstRotationMs),
    );
    const lastFailure = records.findLast((r) => r.outcome !== 'ok');
    const metrics = await scrapeTask(task.url);
    const out = {
      strategy,
      totals: result,
      windows: splitWindows(records, windows),
      rotations: runs,
      firstFailureAfterFirstRotationSeconds:
        firstFailure && firstRotationMs !== undefined
          ? round((firstFailure.intendedMs - firstRotationMs) / 1000, 2)
          : null,
      lastFailureAtSeconds: lastFailure ? round(lastFailure.intendedMs / 1000, 2) : null,
      secretsManager: countCalls(bench.stack.secretsManager.calls, bench.appCaller, loadStart, Date.now()),
      poolSwaps: metrics?.poolSwaps ?? null,
      errors: loggedErrors(task.lines),
    };
    say(
      `${label}: ${strategy}, ${runs.filter((r) => r.ok).length}/${options.rotations} rotations, ` +
        `${result.failed} failed, ${result.dropped} dropped of ${result.scheduled}` +
        (Object.keys(result.failedByReason).length > 0
          ? ` (${Object.entries(result.failedByReason)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''),
    );
    return out;
  });
  return { ...value, ...figures };
}

/**
 * What a process logged about its failed requests (the error handler's "request failed" lines, warn
 * and above), grouped by error type and message: the commonest three. Log lines are scrubbed of
 * secrets by the app's logger; the bench's leak scan checks what ends up in the report.
 */
export function loggedErrors(lines: readonly string[]): { message: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (!line.includes('"request failed"')) continue;
    let entry: {
      level?: number;
      err?: { type?: string; message?: string };
      cause?: { type?: string; message?: string };
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const e = entry.err ?? entry.cause;
    const message = `${e?.type ?? 'Error'}: ${(e?.message ?? '').split('\n')[0] ?? ''}`.slice(0, 240);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([message, count]) => ({ message, count }));
}

/**
 * When each rotation starts, in ms from the start of the load: the first after the lead, then one
 * per spacing, and a spacing after the last (options.ts). Spaced like this, a variant has to open
 * new connections between two rotations, as it would with rotations days apart.
 */
export function rotationSchedule(
  options: Pick<BenchOptions, 'rotations' | 'rotationLeadSeconds' | 'rotationSpacingSeconds'>,
): number[] {
  return Array.from(
    { length: options.rotations },
    (_, k) => (options.rotationLeadSeconds + k * options.rotationSpacingSeconds) * 1000,
  );
}

export function describeStep(r: StepResult): string {
  const p = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  return (
    `${r.offeredRps} req/s offered → ${r.achievedRps} achieved, p50 ${p(r.latency.p50Ms)} p99 ${p(r.latency.p99Ms)} ms` +
    `, ${r.failed} failed, ${r.dropped} dropped`
  );
}
