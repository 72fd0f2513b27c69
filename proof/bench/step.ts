/**
 * One measurement step: open-model load (proof/load/open-model.ts) at a fixed rate against one target for
 * a fixed time, reduced to the figures the bench compares. Bounded: the generator stops itself after
 * the step and every request after its timeout; a watchdog stops it should anything hang.
 */
import {
  type LatencySummary,
  newHistogram,
  recordMs,
  type RequestMix,
  type RequestRecord,
  startOpenModel,
  summarize,
  TargetPool,
} from '../load/index.js';

export interface StepSettings {
  maxLateMs: number;
  maxInFlight: number;
  timeoutMs: number;
}

export const STEP_SETTINGS: StepSettings = { maxLateMs: 1000, maxInFlight: 1000, timeoutMs: 10_000 };

export interface StepResult {
  /** Offered (scheduled) rate, requests per second. */
  offeredRps: number;
  durationSeconds: number;
  scheduled: number;
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  /** Successful answers completed inside the step, per second of the step. */
  achievedRps: number;
  latency: LatencySummary;
  failedByReason: Record<string, number>;
}

export interface StepRun {
  result: StepResult;
  records: RequestRecord[];
  /** ms since the epoch of the step's intended time 0. */
  startedAt: number;
}

export async function runStep(
  url: string,
  mix: RequestMix,
  rate: number,
  durationSeconds: number,
  settings: StepSettings = STEP_SETTINGS,
  /** Called once the load is running, with its start time (ms since the epoch). */
  onStart?: (startedAt: number) => void,
): Promise<StepRun> {
  const durationMs = durationSeconds * 1000;
  // Not polled: with one target, readiness would only add probe traffic to what is measured.
  const targets = new TargetPool({ urls: [url] });
  const load = startOpenModel({ rate, durationMs, mix, targets, ...settings });
  onStart?.(load.startedAt);
  const watchdog = setTimeout(
    () => {
      load.stop();
    },
    durationMs + settings.timeoutMs + 30_000,
  );
  await load.done;
  clearTimeout(watchdog);
  return {
    result: summarizeStep(load.records, rate, durationSeconds),
    records: load.records,
    startedAt: load.startedAt,
  };
}

export function summarizeStep(
  records: readonly RequestRecord[],
  offeredRps: number,
  durationSeconds: number,
): StepResult {
  const h = newHistogram();
  const failedByReason: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let dropped = 0;
  let completedInside = 0;
  const endMs = durationSeconds * 1000;
  for (const r of records) {
    if (r.latencyMs !== null) recordMs(h, r.latencyMs);
    if (r.outcome === 'ok') {
      ok++;
      if (r.latencyMs !== null && r.intendedMs + r.latencyMs <= endMs) completedInside++;
    } else if (r.outcome === 'failed') {
      failed++;
      const reason = r.reason ?? 'unknown';
      failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
    } else dropped++;
  }
  return {
    offeredRps: round(offeredRps),
    durationSeconds,
    scheduled: records.length,
    sent: records.length - dropped,
    ok,
    failed,
    dropped,
    achievedRps: round(completedInside / durationSeconds),
    latency: summarize(h),
    failedByReason,
  };
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
