/**
 * The fleet figures and the fault schedules around a window: connections steady against each
 * rotation window, and rotations kept out of (or inside) a fault's window, a refresh cycle apart.
 */
import { describe, expect, it } from 'vitest';
import { spreadOver } from '../../../proof/drill/faults/around-window.js';
import { createFault } from '../../../proof/drill/faults/index.js';
import { summarizeConnections, type ConnectionSample } from '../../../proof/drill/fleet.js';
import { parseDrillArgs } from '../../../proof/drill/options.js';

const sample = (at: number, total: number): ConnectionSample => ({ at, total, byUser: { app: total } });

describe('fleet connections', () => {
  it('steady is the median outside the windows; each window has its peak and the ratio is the highest', () => {
    const t0 = 1_000_000;
    const samples = [
      sample(t0 + 0, 4),
      sample(t0 + 100, 5),
      sample(t0 + 200, 6),
      sample(t0 + 1000, 9), // window 1
      sample(t0 + 1100, 7), // window 1
      sample(t0 + 2000, 5),
      sample(t0 + 3000, 12), // window 2
    ];
    const s = summarizeConnections(
      samples,
      [
        { startMs: 900, endMs: 1500 },
        { startMs: 2900, endMs: 3100 },
        { startMs: 5000, endMs: 6000 },
      ],
      t0,
    );
    expect(s).toMatchObject({ samples: 7, steady: 5, max: 12, peakOverSteady: 2.4 });
    expect(s.peakPerRotation.map((p) => p.peak)).toEqual([9, 12, null]);
  });

  it('has no steady figure and no ratio without samples', () => {
    expect(summarizeConnections([], [{ startMs: 0, endMs: 10 }], 0)).toMatchObject({
      steady: null,
      peakOverSteady: null,
    });
  });
});

describe('rotations around a fault window', () => {
  it('spreads evenly over the segments, end to end, or refuses when they do not fit the gap', () => {
    expect(
      spreadOver(
        2,
        [
          [0, 1000],
          [5000, 6000],
        ],
        500,
      ),
    ).toEqual([500, 5500]);
    expect(spreadOver(3, [[0, 1000]], 500)).toBeNull();
    expect(spreadOver(1, [[100, 50]], 0)).toBeNull();
    expect(spreadOver(0, [], 1000)).toEqual([]);
  });

  it('db-freeze keeps every rotation a refresh cycle away from the freeze, at its minimum duration', () => {
    const fault = createFault('db-freeze');
    const base = parseDrillArgs(['--fault', 'db-freeze', '--refresh-seconds', '2', '--rotations', '2'], {});
    const min = fault.minDurationSeconds(base);
    const options = { ...base, durationSeconds: min };
    const freezeStart = Math.max(0.4 * min * 1000, 5000);
    for (const t of fault.rotationTimesMs?.(options) ?? [])
      expect(t < freezeStart - 2200 || t > freezeStart + 12_000 + 2000).toBe(true);
    expect(fault.minDurationSeconds({ ...base, rotations: 3 })).toBeGreaterThan(min);
  });

  it('connection-limit runs every rotation inside its window (20 %…80 %)', () => {
    const fault = createFault('connection-limit');
    const options = parseDrillArgs(['--fault', 'connection-limit'], {});
    const times = fault.rotationTimesMs?.(options) ?? [];
    expect(times).toHaveLength(3);
    for (const t of times) expect(t / (options.durationSeconds * 1000)).toBeGreaterThan(0.2);
    for (const t of times) expect(t / (options.durationSeconds * 1000)).toBeLessThan(0.8);
    expect(fault.minDurationSeconds(options)).toBeLessThanOrEqual(options.durationSeconds);
  });
});
