/**
 * The statistics of repeated trials: a figure's median and range over the trials, and each variant's
 * ratio to the baseline computed per paired trial (the trials of one round ran back to back, so they
 * met the same machine) with a bootstrap 95 % interval of the median ratio. simple-statistics gives
 * the median, quantiles and resampling; the bootstrap loop around them is a few lines here.
 */
import { max, median, min, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import { seededRandom } from '../load/index.js';
import { round } from './step.js';

/** A figure over the trials: median, min and max, and how many trials it comes from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** A ratio to the baseline: per paired trial, then their median and its bootstrap interval. */
export interface RatioEstimate {
  /** variant ÷ baseline of each round where both were measured, in round order. */
  pairs: number[];
  median: number;
  min: number;
  max: number;
  /** Bootstrap 95 % percentile interval of the median of the pairs. */
  ci95: [number, number];
}

/** Resamples per interval, and the seed: the same report gives the same interval on every machine. */
export const BOOTSTRAP_RESAMPLES = 10_000;
const BOOTSTRAP_SEED = 20_260_101;

export function spreadOf(values: readonly (number | null | undefined)[], digits = 3): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  return {
    median: round(median(xs), digits),
    min: round(min(xs), digits),
    max: round(max(xs), digits),
    n: xs.length,
  };
}

/** Bootstrap percentile interval of the median (seeded, so it can be recomputed from the report). */
export function bootstrapMedianInterval(values: readonly number[], level = 0.95): [number, number] {
  const xs = [...values];
  const random = seededRandom(BOOTSTRAP_SEED);
  const medians = Array.from({ length: BOOTSTRAP_RESAMPLES }, () =>
    median(sampleWithReplacement(xs, xs.length, random)),
  ).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(medians, tail), quantileSorted(medians, 1 - tail)];
}

/**
 * Bootstrap interval of the median when the values come in groups that share something the
 * groups do not (the windows of one set of processes): resample the groups, then the values within
 * each chosen group, so the interval carries the differences between groups as well.
 */
export function clusteredMedianInterval(
  groups: readonly (readonly number[])[],
  level = 0.95,
): [number, number] {
  const nonEmpty = groups.filter((g) => g.length > 0);
  const random = seededRandom(BOOTSTRAP_SEED);
  const medians = Array.from({ length: BOOTSTRAP_RESAMPLES }, () =>
    median(
      sampleWithReplacement(nonEmpty, nonEmpty.length, random).flatMap((g) =>
        sampleWithReplacement([...g], g.length, random),
      ),
    ),
  ).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(medians, tail), quantileSorted(medians, 1 - tail)];
}

/** variant ÷ baseline where both were measured (pairs where either is missing or the baseline is 0 are skipped). */
export function ratiosOf(
  variant: readonly (number | null | undefined)[],
  baseline: readonly (number | null | undefined)[],
): number[] {
  const pairs: number[] = [];
  variant.forEach((v, i) => {
    const b = baseline[i];
    if (typeof v === 'number' && typeof b === 'number' && b > 0 && Number.isFinite(v)) pairs.push(v / b);
  });
  return pairs;
}

/**
 * variant ÷ baseline per pair (per round of trials), their median and its bootstrap interval;
 * `interval` replaces the plain bootstrap where the pairs come in groups (clusteredMedianInterval).
 */
export function pairedRatio(
  variant: readonly (number | null | undefined)[],
  baseline: readonly (number | null | undefined)[],
  interval: (pairs: number[]) => [number, number] = bootstrapMedianInterval,
): RatioEstimate | null {
  const pairs = ratiosOf(variant, baseline);
  if (pairs.length === 0) return null;
  const [lo, hi] = interval(pairs);
  return {
    pairs: pairs.map((p) => round(p, 4)),
    median: round(median(pairs), 3),
    min: round(min(pairs), 3),
    max: round(max(pairs), 3),
    ci95: [round(lo, 3), round(hi, 3)],
  };
}

/** Whether an interval allows "no difference" (it contains 1.0). */
export function containsOne(r: Pick<RatioEstimate, 'ci95'>): boolean {
  return r.ci95[0] <= 1 && r.ci95[1] >= 1;
}

/** Half the interval's width around 1.0, in percent: the difference this run could not have seen. */
export function resolutionPercent(r: Pick<RatioEstimate, 'ci95'>): number {
  return round(Math.max(Math.abs(1 - r.ci95[0]), Math.abs(r.ci95[1] - 1)) * 100, 1);
}

/**
 * How a ratio reads: "no measurable difference (±x %)" when its interval contains 1.0, otherwise
 * how much more or less, with the interval.
 */
export function describeRatio(r: RatioEstimate, quantity: string): string {
  const interval = `95 % interval ${r.ci95[0].toFixed(2)}–${r.ci95[1].toFixed(2)}`;
  if (containsOne(r))
    return `no measurable difference in ${quantity} (±${resolutionPercent(r)} %; ${interval})`;
  const percent = round(Math.abs(r.median - 1) * 100, 1);
  return `${percent} % ${r.median > 1 ? 'more' : 'less'} ${quantity} (${r.median.toFixed(2)} ×, ${interval})`;
}

/** "0.98–1.05": a ratio's 95 % interval. */
export function intervalText(r: RatioEstimate, digits = 2): string {
  return `${r.ci95[0].toFixed(digits)}–${r.ci95[1].toFixed(digits)}`;
}
