/**
 * Latency inside a fault's windows against the run's steady state, so the cost of a recovery path
 * shows as a ratio within one run (never an absolute time).
 */
import { newHistogram, recordMs, type RequestRecord, summarize, type Window } from '../../load/index.js';
import type { FaultEvidence } from './fault.js';

export interface WindowLatency {
  requests: number;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Below this many answered requests a p99 is a handful of samples: reported, not judged. */
export const MIN_REQUESTS_FOR_P99 = 500;

/** Answered requests whose intended send time lies in `windows`. */
export function latencyOf(
  records: readonly RequestRecord[],
  include: (atMs: number) => boolean,
): WindowLatency {
  const h = newHistogram();
  let requests = 0;
  for (const r of records) {
    if (r.latencyMs === null || !include(r.intendedMs)) continue;
    requests++;
    recordMs(h, r.latencyMs);
  }
  const s = summarize(h);
  return { requests, p99Ms: s.p99Ms, maxMs: s.maxMs };
}

export const within = (w: Window) => (atMs: number) => atMs >= w.startMs && atMs < w.endMs;

/**
 * Steady state: outside every rotation window (RotateSecret … AWSCURRENT moved, plus the drill's
 * settle time) and after the warm-up (JIT and pool warm-up are not steady state).
 */
export function steadyLatency(e: FaultEvidence): WindowLatency & { warmupMs: number } {
  const d = e.options.durationSeconds * 1000;
  const warmupMs = Math.max(5000, 0.1 * d);
  const settleMs = e.options.settleSeconds * 1000;
  const busy = e.rotations.map((r) => ({
    startMs: r.requestedAt - e.t0,
    endMs: r.finishedAt - e.t0 + settleMs,
  }));
  return {
    ...latencyOf(e.records, (atMs) => atMs >= warmupMs && !busy.some((w) => within(w)(atMs))),
    warmupMs,
  };
}

export const ratio = (a: number | null, b: number | null): number | null =>
  a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
