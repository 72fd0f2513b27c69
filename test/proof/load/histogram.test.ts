import { describe, expect, it } from 'vitest';
import { perSecond, splitWindows } from '../../../proof/load/histogram.js';
import type { RequestRecord } from '../../../proof/load/records.js';

const rec = (
  intendedMs: number,
  latencyMs: number | null,
  outcome: RequestRecord['outcome'] = 'ok',
): RequestRecord => ({
  seq: 0,
  name: 'x',
  target: 0,
  intendedMs,
  sendLagMs: 0,
  latencyMs,
  outcome,
});

describe('HDR window split', () => {
  it('puts each request in the window of its intended send time', () => {
    const records = [
      ...Array.from({ length: 100 }, (_, i) => rec(i * 10, 1)), // 0–990 ms: steady, 1 ms
      ...Array.from({ length: 100 }, (_, i) => rec(1000 + i * 10, 4)), // 1000–1990 ms: rotation, 4 ms
      rec(1500, null, 'dropped'),
      rec(500, 2, 'failed'),
    ];
    const split = splitWindows(records, [{ startMs: 1000, endMs: 2000 }]);
    expect(split.steady.requests).toBe(101);
    expect(split.steady.failed).toBe(1);
    expect(split.rotation.requests).toBe(101);
    expect(split.rotation.dropped).toBe(1);
    expect(split.rotation.count).toBe(100); // dropped requests have no latency
    expect(split.steady.p50Ms).toBeCloseTo(1, 2);
    expect(split.rotation.p50Ms).toBeCloseTo(4, 2);
    expect(split.ratio.p50).toBeCloseTo(4, 1);
    expect(split.ratio.max).toBeCloseTo(2, 1);
  });

  it('reports no ratio when a side is empty', () => {
    const split = splitWindows([rec(0, 1)], []);
    expect(split.rotation.count).toBe(0);
    expect(split.ratio.p99).toBeNull();
  });

  it('has one point per second with counts and percentiles', () => {
    const series = perSecond(
      [rec(100, 1), rec(900, 3), rec(1200, 2, 'failed'), rec(1300, null, 'dropped')],
      3,
    );
    expect(series).toHaveLength(3);
    expect(series[0]).toMatchObject({ second: 0, sent: 2, ok: 2, failed: 0, dropped: 0 });
    expect(series[0]?.maxMs).toBeCloseTo(3, 2);
    expect(series[1]).toMatchObject({ second: 1, sent: 1, ok: 0, failed: 1, dropped: 1 });
    expect(series[2]).toMatchObject({ sent: 0, p99Ms: null });
  });
});
