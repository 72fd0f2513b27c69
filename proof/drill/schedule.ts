/**
 * When things happen in a drill, and the shortest run that fits them. A drill must never fail the
 * app for its own schedule: a --duration too short for the rotations, the refresh interval and the
 * fault is refused up front (exit 2), naming the minimum.
 */
import type { Fault } from './faults/fault.js';
import { UsageError, type DrillOptions } from './options.js';

/** When the rotations are started, in ms from the start of the load: evenly inside 15 %…85 %. */
export function rotationTimesMs(rotations: number, durationSeconds: number): number[] {
  const d = durationSeconds * 1000;
  return Array.from({ length: rotations }, (_, k) =>
    Math.round(0.15 * d + (0.7 * d * (k + 0.5)) / rotations),
  );
}

/** The longest a task may take to run its next health cycle: one refresh interval plus its 10 % jitter. */
export function cycleMs(options: Pick<DrillOptions, 'refreshSeconds'>): number {
  return 1.1 * options.refreshSeconds * 1000;
}

/** Slack on top of the app's promises (a rotation's own steps, a readiness poll, a busy machine). */
export const SCHEDULE_MARGIN_MS = 2000;

/**
 * Every drill: consecutive rotations are at least one health cycle (plus the margin) apart, so each
 * task has followed one rotation before the next begins.
 */
export function baseMinimumSeconds(options: Pick<DrillOptions, 'rotations' | 'refreshSeconds'>): number {
  return (options.rotations * (cycleMs(options) + SCHEDULE_MARGIN_MS)) / 0.7 / 1000;
}

/** Throws a UsageError naming the minimum when --duration is too short for this drill's schedule. */
export function assertScheduleFits(options: DrillOptions, fault: Fault | undefined): void {
  const exact = Math.max(baseMinimumSeconds(options), fault?.minDurationSeconds(options) ?? 0);
  const minimum = Math.ceil(exact - 1e-9); // 60.000000000001 s is 60 s
  if (options.durationSeconds >= minimum) return;
  throw new UsageError(
    `--duration ${options.durationSeconds} is too short: ${options.rotations} rotations` +
      `${fault ? ` with --fault ${fault.name}` : ''} and --refresh-seconds ${options.refreshSeconds} ` +
      `need at least --duration ${minimum}`,
  );
}
