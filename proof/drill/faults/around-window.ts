/**
 * Rotation schedules around a fault's window, and the shortest --duration that fits them, for the
 * fault modes that must keep rotations out of (or exactly one inside) a window of their own.
 */
import type { RequestRecord } from '../../load/index.js';
import type { DrillOptions } from '../options.js';
import { cycleMs, SCHEDULE_MARGIN_MS } from '../schedule.js';

/** [startMs, endMs] from the start of the load. */
export type Segment = readonly [number, number];

/**
 * Time between two rotations, and between a rotation and a fault window: one health cycle for every
 * task to follow it, plus the drill's margin (the drill's own spacing, proof/drill/schedule.ts). A
 * second rotation before that would change the password of the user a task may still be on.
 */
export function rotationGapMs(o: Pick<DrillOptions, 'refreshSeconds'>): number {
  return cycleMs(o) + SCHEDULE_MARGIN_MS;
}

/**
 * `count` start times spread evenly over the segments (taken end to end, in order), or null when
 * they do not fit `gapMs` apart. Empty segments are skipped.
 */
export function spreadOver(count: number, segments: readonly Segment[], gapMs: number): number[] | null {
  if (count === 0) return [];
  const usable = segments.filter(([a, b]) => b >= a);
  const total = usable.reduce((s, [a, b]) => s + (b - a), 0);
  if (usable.length === 0 || (count > 1 && total / count < gapMs)) return null;
  const step = total / count;
  return Array.from({ length: count }, (_, k) => {
    let offset = (k + 0.5) * step;
    for (const [a, b] of usable) {
      if (offset <= b - a) return Math.round(a + offset);
      offset -= b - a;
    }
    return Math.round(usable.at(-1)?.[1] ?? 0);
  });
}

/** The shortest whole --duration (seconds, ≥ 5) for which `fits` holds with these options. */
export function shortestDuration(o: DrillOptions, fits: (o: DrillOptions) => boolean): number {
  for (let s = 5; s <= 3600; s++) if (fits({ ...o, durationSeconds: s })) return s;
  return 3600;
}

/**
 * The load's failed requests against a fault window: 503s that ended inside [startMs, endMs] (the
 * fault's to allow), and every failure other than a 503, by reason (anywhere in the run).
 */
export function failuresAround(
  records: readonly RequestRecord[],
  startMs: number,
  endMs: number,
): { allowed503: number; other: Record<string, number>; otherCount: number } {
  let allowed503 = 0;
  let otherCount = 0;
  const other: Record<string, number> = {};
  for (const r of records) {
    if (r.outcome !== 'failed') continue;
    if (r.status === 503) {
      const end = r.latencyMs === null ? null : r.intendedMs + r.latencyMs;
      if (end !== null && end >= startMs && end <= endMs) allowed503++;
      continue;
    }
    const reason = r.reason ?? 'unknown';
    other[reason] = (other[reason] ?? 0) + 1;
    otherCount++;
  }
  return { allowed503, other, otherCount };
}
