/**
 * The side-by-side cost measurement's arithmetic, on known windows: CPU per request per window,
 * ratios paired by window, the interval bootstrapped by round (so a round whose processes differ
 * widens it), and when the run may decide the CPU target at all.
 */
import { describe, expect, it } from 'vitest';
import { cpuPerRequest, summarizeVariants, type PairedWindow } from '../../../proof/bench/paired-cost.js';
import { parseBenchArgs } from '../../../proof/bench/options.js';
import { sideBySideTargets } from '../../../proof/bench/evaluation.js';
import { bootstrapMedianInterval, clusteredMedianInterval } from '../../../proof/bench/stats.js';
import type { VariantName } from '../../../proof/bench/variants.js';

const NAMES: VariantName[] = ['baseline', 'this-app', 'naive'];

/** A window where each variant used `cpu[i]` ms for 1000 answers. */
function windowOf(round: number, index: number, cpu: [number, number, number]): PairedWindow {
  const [baseline, app, naive] = cpu;
  return {
    round,
    index,
    order: NAMES,
    cpuMs: { baseline, 'this-app': app, naive },
    ok: { baseline: 1000, 'this-app': 1000, naive: 1000 },
    failed: { baseline: 0, 'this-app': 0, naive: 0 },
  };
}

function summarize(windows: PairedWindow[]) {
  const memory = new Map(NAMES.map((n) => [n, windows.map(() => ({ rssMiB: 100, peakRssMiB: 120 }))]));
  const exits = new Map(NAMES.map((n) => [n, [0]]));
  return summarizeVariants(NAMES, windows, memory, exits);
}

describe('side by side', () => {
  it('takes CPU per successful request per window, and none without answers', () => {
    const w = windowOf(0, 1, [1000, 1100, 1000]);
    expect(cpuPerRequest(w, 'this-app')).toBe(1.1);
    expect(cpuPerRequest({ ...w, ok: { ...w.ok, naive: 0 } }, 'naive')).toBeNull();
    expect(cpuPerRequest({ ...w, cpuMs: {} }, 'baseline')).toBeNull();
  });

  it('pairs each variant with the baseline window by window', () => {
    const windows = [0, 0, 0, 1, 1, 1].map((round, i) =>
      windowOf(round, i + 1, [1000, 1050 + i * 2, 1000 + (i % 2 === 0 ? 5 : -5)]),
    );
    const [baseline, app, naive] = summarize(windows);
    expect(baseline?.ratio).toBeNull();
    expect(app?.ratio?.pairs).toEqual([1.05, 1.052, 1.054, 1.056, 1.058, 1.06]);
    expect(app?.ratio?.median).toBe(1.055);
    expect(app?.ratio?.ci95[0]).toBeGreaterThan(1);
    expect(naive?.ratio?.median).toBe(1);
    expect(app?.rssRatio?.median).toBe(1);
  });

  it('widens the interval when the rounds disagree, where a plain bootstrap would not', () => {
    // Two rounds of processes 4 % apart, each steady within itself.
    const rounds = [
      [1.0, 1.001, 0.999, 1.0, 1.002, 0.998],
      [1.04, 1.041, 1.039, 1.04, 1.042, 1.038],
    ];
    const clustered = clusteredMedianInterval(rounds);
    const plain = bootstrapMedianInterval(rounds.flat());
    expect(clustered[1] - clustered[0]).toBeGreaterThan(plain[1] - plain[0]);
    expect(clustered[0]).toBeLessThanOrEqual(1.002);
    expect(clustered[1]).toBeGreaterThanOrEqual(1.038);
    expect(clusteredMedianInterval(rounds)).toEqual(clustered);
  });

  it('decides the CPU target only when the identical pair comes out within 3 %', () => {
    const options = parseBenchArgs([]);
    const result = (naive: number, app: number, rounds = 2) => {
      const windows = Array.from({ length: rounds * 4 }, (_, i) =>
        windowOf(Math.floor(i / 4), i + 1, [1000, app + (i % 3), naive + (i % 3)]),
      );
      return {
        rate: 120,
        rounds,
        warmupSeconds: 10,
        windowSeconds: 8,
        windows,
        variants: summarize(windows),
        wallSeconds: 1,
      };
    };
    const [gauge, cpu] = sideBySideTargets(result(1000, 1010), options);
    expect(gauge?.met).toBe(true);
    expect(gauge?.measured).toMatch(/, containing 1\.0$/);
    expect(cpu?.met).toBe(true);
    expect(cpu?.hard).toBe(false);

    const [, missed] = sideBySideTargets(result(1000, 1060), options);
    expect(missed?.met).toBe(false);

    // The pair 1 % apart, steadily: a real difference, seen; the run still resolves 3 %.
    const [apart, decided] = sideBySideTargets(result(1010, 1010), options);
    expect(apart?.met).toBe(true);
    expect(apart?.measured).toMatch(/not containing 1\.0/);
    expect(decided?.met).toBe(true);

    // The pair itself 5 % apart: the run cannot resolve 3 %, whatever this app measured.
    const [unsteady, undecided] = sideBySideTargets(result(1050, 1010), options);
    expect(unsteady?.met).toBe(false);
    expect(undecided?.met).toBeNull();
    expect(undecided?.measured).toMatch(/identical pair's interval reached outside 0\.97–1\.03/);

    // One round of processes decides nothing.
    const [, oneRound] = sideBySideTargets(result(1000, 1010, 1), options);
    expect(oneRound?.met).toBeNull();
    expect(oneRound?.measured).toMatch(/too few to decide/);

    expect(sideBySideTargets(null, options).map((t) => t.measured)).toEqual(['not run', 'not run']);
    expect(sideBySideTargets(result(1000, 1010), parseBenchArgs(['--strict']))[1]?.hard).toBe(true);
  });
});
