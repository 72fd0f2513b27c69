/**
 * Latency statistics with HDR histograms (hdr-histogram-js): microsecond resolution, 3 significant
 * digits, up to 10 minutes. Per second (by intended send time) and per window (steady vs rotation).
 */
import * as hdr from 'hdr-histogram-js';
import type { RequestRecord } from './records.js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Latency in ms (fractional) recorded as whole microseconds. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0)
    return { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, p999Ms: null, maxMs: null };
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}

/** A half-open interval of run time, in ms from the start of the load. */
export interface Window {
  startMs: number;
  endMs: number;
}

export function inWindows(atMs: number, windows: readonly Window[]): boolean {
  return windows.some((w) => atMs >= w.startMs && atMs < w.endMs);
}

export interface WindowSplit {
  steady: LatencySummary & { requests: number; failed: number; dropped: number };
  rotation: LatencySummary & { requests: number; failed: number; dropped: number };
  /** rotation ÷ steady for each percentile (null when a side has no data). */
  ratio: { p50: number | null; p99: number | null; max: number | null };
}

/**
 * Splits requests by their intended send time: inside any rotation window, or steady. Latency
 * histograms hold answered requests (ok and failed); dropped requests were never sent.
 */
export function splitWindows(records: readonly RequestRecord[], windows: readonly Window[]): WindowSplit {
  const sides = {
    steady: { h: newHistogram(), requests: 0, failed: 0, dropped: 0 },
    rotation: { h: newHistogram(), requests: 0, failed: 0, dropped: 0 },
  };
  for (const r of records) {
    const side = inWindows(r.intendedMs, windows) ? sides.rotation : sides.steady;
    side.requests++;
    if (r.outcome === 'dropped') {
      side.dropped++;
      continue;
    }
    if (r.outcome === 'failed') side.failed++;
    if (r.latencyMs !== null) recordMs(side.h, r.latencyMs);
  }
  const result = (s: typeof sides.steady) => ({
    ...summarize(s.h),
    requests: s.requests,
    failed: s.failed,
    dropped: s.dropped,
  });
  const steady = result(sides.steady);
  const rotation = result(sides.rotation);
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
  return {
    steady,
    rotation,
    ratio: {
      p50: ratio(rotation.p50Ms, steady.p50Ms),
      p99: ratio(rotation.p99Ms, steady.p99Ms),
      max: ratio(rotation.maxMs, steady.maxMs),
    },
  };
}

export interface SecondPoint {
  second: number;
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** One point per second of intended send time, 0 … seconds-1 (later records go to the last second). */
export function perSecond(records: readonly RequestRecord[], seconds: number): SecondPoint[] {
  const n = Math.max(1, Math.ceil(seconds));
  const buckets = Array.from({ length: n }, () => ({
    h: newHistogram(),
    sent: 0,
    ok: 0,
    failed: 0,
    dropped: 0,
  }));
  for (const r of records) {
    const b = buckets[Math.min(n - 1, Math.max(0, Math.floor(r.intendedMs / 1000)))];
    if (b === undefined) continue;
    if (r.outcome === 'dropped') {
      b.dropped++;
      continue;
    }
    b.sent++;
    if (r.outcome === 'ok') b.ok++;
    else b.failed++;
    if (r.latencyMs !== null) recordMs(b.h, r.latencyMs);
  }
  return buckets.map((b, second) => {
    const s = summarize(b.h);
    return {
      second,
      sent: b.sent,
      ok: b.ok,
      failed: b.failed,
      dropped: b.dropped,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      maxMs: s.maxMs,
    };
  });
}
