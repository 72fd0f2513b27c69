/**
 * The drill's counts over every scheduled request: answered, failed (by reason and by request) and
 * dropped (late, or at the in-flight cap), with the latency histogram of everything answered.
 */
import { newHistogram, recordMs, type RequestRecord } from '../load/index.js';
import type { DrillReport } from './report.js';

/** The report's request counts (its `totals`, but for what only the run knows), with the latency histogram. */
export type Tally = Omit<DrillReport['totals'], 'scheduled' | 'sent' | 'failOpen'> & {
  /** Latency of every request sent, failed ones included (dropped ones have none). */
  latency: ReturnType<typeof newHistogram>;
};

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export function tally(records: readonly RequestRecord[]): Tally {
  const t: Tally = {
    ok: 0,
    failed: 0,
    dropped: 0,
    droppedLate: 0,
    droppedInFlightCap: 0,
    failedByReason: {},
    failedByRequest: {},
    byRequest: {},
    latency: newHistogram(),
  };
  for (const r of records) {
    increment(t.byRequest, r.name);
    if (r.latencyMs !== null) recordMs(t.latency, r.latencyMs);
    if (r.outcome === 'ok') t.ok++;
    else if (r.outcome === 'failed') {
      t.failed++;
      increment(t.failedByReason, r.reason ?? 'unknown');
      increment(t.failedByRequest, r.name);
    } else if (r.reason === 'late') t.droppedLate++;
    else t.droppedInFlightCap++;
  }
  t.dropped = t.droppedLate + t.droppedInFlightCap;
  return t;
}
