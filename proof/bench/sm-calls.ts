/**
 * Secrets Manager calls of one app process, from the local endpoint's call log: the process's
 * caller (its access key id) within the time it ran. Processes run one at a time, so the window
 * tells them apart.
 */
import type { CallLog } from '../../local/secrets-manager/index.js';
import { round } from './step.js';

export interface CallCount {
  total: number;
  byOperation: Record<string, number>;
}

export interface SteadyCalls extends CallCount {
  /** Seconds of the steady window: from the process being ready to the end of its measurements. */
  windowSeconds: number;
  refreshSeconds: number;
  /** Mean seconds between two calls (null with fewer than two calls). */
  meanGapSeconds: number | null;
  /**
   * Calls per refresh interval: refresh ÷ mean gap with two calls or more (no edge effect from
   * where the window starts), calls ÷ (window ÷ refresh) otherwise.
   */
  perRefreshInterval: number;
}

/** A process making one call per health cycle can reach this (its cycle is jittered by ±10 %). */
export const ONE_PER_CYCLE_LIMIT = 1.12;

function inWindow(log: CallLog, caller: string, fromMs: number, toMs: number) {
  return log.list({ caller }).filter((c) => {
    const at = Date.parse(c.time);
    return at >= fromMs && at < toMs;
  });
}

function tally(calls: readonly { operation: string }[]): CallCount {
  const byOperation: Record<string, number> = {};
  for (const c of calls) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1;
  return { total: calls.length, byOperation };
}

/** refresh ÷ mean gap with a gap to go by (no edge effect), calls ÷ (window ÷ refresh) otherwise. */
function callsPerInterval(
  meanGapSeconds: number | null,
  calls: number,
  windowSeconds: number,
  refreshSeconds: number,
): number {
  return meanGapSeconds !== null ? refreshSeconds / meanGapSeconds : calls / (windowSeconds / refreshSeconds);
}

export function countCalls(log: CallLog, caller: string, fromMs: number, toMs: number): CallCount {
  return tally(inWindow(log, caller, fromMs, toMs));
}

export function steadyCalls(
  log: CallLog,
  caller: string,
  fromMs: number,
  toMs: number,
  refreshSeconds: number,
): SteadyCalls {
  const calls = inWindow(log, caller, fromMs, toMs);
  const count = tally(calls);
  const windowSeconds = Math.max(0.001, (toMs - fromMs) / 1000);
  const times = calls.map((c) => Date.parse(c.time)).sort((a, b) => a - b);
  const first = times[0];
  const last = times.at(-1);
  const meanGapSeconds =
    first !== undefined && last !== undefined && times.length >= 2 && last > first
      ? (last - first) / 1000 / (times.length - 1)
      : null;
  const per = callsPerInterval(meanGapSeconds, count.total, windowSeconds, refreshSeconds);
  return {
    ...count,
    windowSeconds: round(windowSeconds),
    refreshSeconds,
    meanGapSeconds: meanGapSeconds === null ? null : round(meanGapSeconds, 2),
    perRefreshInterval: round(per, 2),
  };
}

/**
 * Many short windows (one per trial) as one: the mean gap pooled over every window with two calls or
 * more (each window's span over its gaps), so short windows do not inflate the figure with edges.
 */
export function pooledSteadyCalls(windows: readonly SteadyCalls[], refreshSeconds: number): SteadyCalls {
  const byOperation: Record<string, number> = {};
  let total = 0;
  let windowSeconds = 0;
  let span = 0;
  let gaps = 0;
  for (const w of windows) {
    total += w.total;
    windowSeconds += w.windowSeconds;
    for (const [op, n] of Object.entries(w.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + n;
    if (w.meanGapSeconds !== null && w.total >= 2) {
      span += w.meanGapSeconds * (w.total - 1);
      gaps += w.total - 1;
    }
  }
  const meanGapSeconds = gaps > 0 && span > 0 ? span / gaps : null;
  const per = callsPerInterval(meanGapSeconds, total, Math.max(0.001, windowSeconds), refreshSeconds);
  return {
    total,
    byOperation,
    windowSeconds: round(windowSeconds),
    refreshSeconds,
    meanGapSeconds: meanGapSeconds === null ? null : round(meanGapSeconds, 2),
    perRefreshInterval: round(per, 2),
  };
}
