/**
 * The bench's statistics and bookkeeping, on known inputs: paired ratios and their bootstrap
 * interval, how a ratio is read, the interleaved order, pooled Secrets Manager calls, and the
 * connection counts taken from pg_stat_activity samples.
 */
import { describe, expect, it } from 'vitest';
import { openedBetween, peakOverSteady } from '../../../proof/bench/pg-connections.js';
import {
  costTarget,
  CPU_TARGET,
  MIN_PAIRS_TO_DECIDE,
  THROUGHPUT_TARGET,
} from '../../../proof/bench/evaluation.js';
import { pooledSteadyCalls, type SteadyCalls } from '../../../proof/bench/sm-calls.js';
import {
  bootstrapMedianInterval,
  containsOne,
  describeRatio,
  pairedRatio,
  resolutionPercent,
  spreadOf,
} from '../../../proof/bench/stats.js';
import { interleavedOrder } from '../../../proof/bench/trial.js';

describe('paired ratios', () => {
  it('pairs by round, skips rounds missing either side, and takes the median of the pairs', () => {
    const r = pairedRatio([110, 90, null, 120, 100], [100, 100, 100, 100, 0]);
    expect(r?.pairs).toEqual([1.1, 0.9, 1.2]);
    expect(r?.median).toBe(1.1);
    expect([r?.min, r?.max]).toEqual([0.9, 1.2]);
    expect(pairedRatio([null, 1], [1, null])).toBeNull();
  });

  it('gives a bootstrap interval that is reproducible and inside the range of the pairs', () => {
    const pairs = [0.96, 1.01, 0.99, 1.04, 1.0, 0.98, 1.02];
    const a = bootstrapMedianInterval(pairs);
    expect(bootstrapMedianInterval(pairs)).toEqual(a);
    expect(a[0]).toBeGreaterThanOrEqual(0.96);
    expect(a[1]).toBeLessThanOrEqual(1.04);
    // 7 pairs: the interval is narrower than the full range.
    expect(a[1] - a[0]).toBeLessThan(1.04 - 0.96);
    // Identical pairs leave no doubt.
    expect(bootstrapMedianInterval([1.2, 1.2, 1.2])).toEqual([1.2, 1.2]);
  });

  it('reads an interval containing 1 as no measurable difference, with the resolution', () => {
    const same = { pairs: [], median: 1.01, min: 0.97, max: 1.05, ci95: [0.97, 1.05] as [number, number] };
    expect(containsOne(same)).toBe(true);
    expect(resolutionPercent(same)).toBe(5);
    expect(describeRatio(same, 'throughput')).toMatch(/^no measurable difference in throughput \(±5 %/);
    const more = { pairs: [], median: 1.25, min: 1.2, max: 1.3, ci95: [1.2, 1.3] as [number, number] };
    expect(containsOne(more)).toBe(false);
    expect(describeRatio(more, 'CPU per request')).toMatch(/^25 % more CPU per request \(1\.25 ×/);
    const less = { pairs: [], median: 0.8, min: 0.7, max: 0.9, ci95: [0.75, 0.85] as [number, number] };
    expect(describeRatio(less, 'throughput')).toMatch(/^20 % less throughput/);
  });

  it('summarizes a figure over the trials, ignoring trials without it', () => {
    expect(spreadOf([3, null, 1, 2, undefined])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spreadOf([null])).toBeNull();
  });
});

describe('interleaving', () => {
  it('rotates the order by one variant per round', () => {
    const v = ['a', 'b', 'c', 'd'];
    expect([0, 1, 2, 3, 4].map((k) => interleavedOrder(v, k).join(''))).toEqual([
      'abcd',
      'bcda',
      'cdab',
      'dabc',
      'abcd',
    ]);
    expect(interleavedOrder([], 3)).toEqual([]);
  });
});

describe('Secrets Manager calls pooled over short trials', () => {
  const w = (total: number, meanGapSeconds: number | null, windowSeconds: number): SteadyCalls => ({
    total,
    byOperation: total > 0 ? { DescribeSecret: total } : {},
    windowSeconds,
    refreshSeconds: 5,
    meanGapSeconds,
    perRefreshInterval: 0,
  });

  it('pools the gaps of every window with two calls or more', () => {
    // 2 gaps of 5 s and 1 gap of 4 s: mean 14 / 3 s.
    const pooled = pooledSteadyCalls([w(3, 5, 12), w(2, 4, 11), w(1, null, 10)], 5);
    expect(pooled.total).toBe(6);
    expect(pooled.byOperation).toEqual({ DescribeSecret: 6 });
    expect(pooled.meanGapSeconds).toBe(4.67);
    expect(pooled.perRefreshInterval).toBe(1.07);
  });

  it('falls back to calls per window time without any gap, and 0 without calls', () => {
    expect(pooledSteadyCalls([w(1, null, 5), w(1, null, 5)], 5).perRefreshInterval).toBe(1);
    expect(pooledSteadyCalls([w(0, null, 12)], 5).perRefreshInterval).toBe(0);
  });
});

describe('connections from pg_stat_activity samples', () => {
  const samples = [
    { atMs: 0, pids: [1] },
    { atMs: 100, pids: [1, 2] },
    { atMs: 200, pids: [1, 2, 3] },
    { atMs: 300, pids: [2] },
    { atMs: 400, pids: [2, 4] },
  ];

  it('counts backends first seen in a window and the most held at once', () => {
    expect(openedBetween(samples, 50, 350)).toEqual({ opened: 2, peak: 3 });
    expect(openedBetween(samples, 0, 400)).toEqual({ opened: 4, peak: 3 });
    expect(openedBetween(samples, 500, 600)).toEqual({ opened: 0, peak: 0 });
  });

  it('measures a window over the steady count before it', () => {
    const steady = [1, 2, 3, 4].map((i) => ({ atMs: i * 100, pids: [1, 2] }));
    const swap = [
      { atMs: 500, pids: [1, 2, 3, 4, 5] },
      { atMs: 600, pids: [3, 4] },
    ];
    expect(peakOverSteady([...steady, ...swap], 450, 700)).toEqual({ steady: 2, peak: 5, extra: 3 });
    expect(peakOverSteady(swap, 450, 700)).toBeNull();
  });
});

describe('cost targets read from an interval', () => {
  const ratio = (ci95: [number, number], n = MIN_PAIRS_TO_DECIDE) => ({
    pairs: Array.from({ length: n }, () => 1),
    median: (ci95[0] + ci95[1]) / 2,
    min: ci95[0],
    max: ci95[1],
    ci95,
  });
  const gauge = { ...ratio([0.98, 1.03]), median: 1.01 };

  it('is met only when the whole interval is on the right side of the bound', () => {
    expect(costTarget(ratio([0.98, 1.04]), gauge, THROUGHPUT_TARGET, true, 'throughput').met).toBe(true);
    expect(costTarget(ratio([0.9, 0.95]), gauge, THROUGHPUT_TARGET, true, 'throughput').met).toBe(false);
    expect(costTarget(ratio([0.99, 1.02]), gauge, CPU_TARGET, false, 'CPU per request').met).toBe(true);
    expect(costTarget(ratio([1.05, 1.2]), gauge, CPU_TARGET, false, 'CPU per request').met).toBe(false);
  });

  it('says when the noise is too large, or the trials too few, to decide', () => {
    const spans = costTarget(ratio([0.9, 1.1]), gauge, THROUGHPUT_TARGET, true, 'throughput');
    expect(spans.met).toBeNull();
    expect(spans.measured).toMatch(/noise is too large to decide/);
    expect(spans.measured).toMatch(/noise gauge, naive ÷ baseline: 1\.01 × \(0\.98–1\.03\)/);
    const few = costTarget(ratio([1.0, 1.05], 2), null, THROUGHPUT_TARGET, true, 'throughput');
    expect(few.met).toBeNull();
    expect(few.measured).toMatch(/2 paired trials are too few to decide/);
    const unsteady = costTarget(ratio([0.99, 1.01]), ratio([1.05, 1.1]), CPU_TARGET, false, 'CPU');
    expect(unsteady.measured).toMatch(/does not contain 1\.0: this run’s machine was unsteady/);
  });
});
