/**
 * What every measured process goes through (spawn, ready, work, stop), and the rotation run: the
 * common rate for a fixed time while Secrets Manager rotates (one strategy). The rotations-off
 * trials are in trial.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { loadScenario, RequestMix, splitWindows, type WindowSplit } from '../load/index.js';
import type { RotationStrategy } from '../../rotation/public.js';
import { killIfRunning, stopAll, waitUntilReady, type AppProcess } from '../../local/app-process.js';
import { scrapeTask } from '../drill/index.js';
import type { BenchOptions } from './options.js';
import { openedBetween, peakOverSteady, type ConnectionWatch } from './pg-connections.js';
import { readMemory, type MemoryReading } from './proc-stats.js';
import { countCalls, type CallCount } from './sm-calls.js';
import type { BenchStack } from './stack.js';
import { round, runStep, type StepResult } from './step.js';

/** How often readiness is polled: the time-to-ready figure is this fine (a start takes seconds). */
export const READY_POLL_MS = 25;

/** Seconds after finishSecret that still count as the rotation window (as in the drill). */
export const SETTLE_SECONDS = 5;

/** What starting a process cost: the figures a scale-out pays once per new task. */
export interface ProcessFigures {
  /** From spawning to a 200 on /health/ready. */
  startupSeconds: number;
  /** Secrets Manager calls from spawning to ready. */
  startupCalls: CallCount;
  /** Connections to PostgreSQL from spawning to ready: backends opened, and the most held at once. */
  startupConnections: { opened: number; peak: number };
  memory: MemoryReading | null;
  exitCode: number | null;
}

export interface RotationRun {
  index: number;
  ok: boolean;
  error?: string;
  /** From the start of the load. */
  requestedAtSeconds: number;
  durationMs: number;
}

/** Connections held during each rotation window over the steady count just before it. */
export interface WindowConnections {
  index: number;
  steady: number;
  peak: number;
  extra: number;
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
  /** PostgreSQL connections per rotation window (pg_stat_activity). */
  connections: WindowConnections[];
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

/**
 * Spawns with PostgreSQL connections watched, waits for readiness, runs `work`, reads memory,
 * stops: the process never outlives this. `work` may stop the watch early (sampling costs a little
 * server CPU, which the cost measurements must not pay).
 */
export async function withProcess<T>(
  ctx: PhaseContext,
  spawn: () => Promise<AppProcess>,
  work: (task: AppProcess, readyAt: number, connections: ConnectionWatch) => Promise<T>,
): Promise<{ value: T; figures: ProcessFigures }> {
  const connections = ctx.bench.watchConnections();
  const spawnedAt = Date.now();
  let task: AppProcess | undefined;
  try {
    task = await spawn();
    await waitUntilReady(task, READY_POLL_MS);
    const readyAt = Date.now();
    const startupConnections = openedBetween(connections.samples, spawnedAt, readyAt);
    const value = await work(task, readyAt, connections);
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
        startupConnections,
        memory,
        exitCode,
      },
    };
  } finally {
    await connections.stop();
    if (task) killIfRunning(task);
  }
}

export async function rotationPhase(
  ctx: PhaseContext,
  label: string,
  strategy: RotationStrategy,
  spawn: () => Promise<AppProcess>,
): Promise<RotationResult> {
  const { options, bench, say } = ctx;
  const { value, figures } = await withProcess(ctx, spawn, async (task, _readyAt, connections) => {
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
    const connectionWindows = windows.flatMap((w, i) => {
      const c = peakOverSteady(connections.samples, loadStart + w.startMs, loadStart + w.endMs);
      return c ? [{ index: i + 1, ...c }] : [];
    });
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
      connections: connectionWindows,
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
