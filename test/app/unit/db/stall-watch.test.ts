import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchCheckouts } from '../../../../app/src/db/stall-watch.js';

/** The two things the watch reads of the pools: the active one's ceiling, and the oldest checkout. */
function pools() {
  const state = { heldSince: undefined as number | undefined, relaxed: 0 };
  const generations = {
    active: {
      ceiling: {
        relax: () => {
          state.relaxed++;
        },
      },
    },
    oldestCheckout: (now: number) => state.heldSince ?? now,
  } as unknown as Parameters<typeof watchCheckouts>[0];
  return { state, generations };
}

describe('watchCheckouts', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says nothing while checkouts come back in time, and relaxes the ceiling on every scan', () => {
    const { state, generations } = pools();
    const stalls: number[] = [];
    const stop = watchCheckouts(generations, 1000, (heldMs) => stalls.push(heldMs));
    state.heldSince = Date.now();
    vi.advanceTimersByTime(750); // held 750 ms: under the probe timeout
    expect(stalls).toEqual([]);
    expect(state.relaxed).toBe(3);
    stop();
  });

  it('reports a checkout held past the probe timeout, at most once per probe timeout', () => {
    const { state, generations } = pools();
    const stalls: number[] = [];
    const stop = watchCheckouts(generations, 1000, (heldMs) => stalls.push(heldMs));
    state.heldSince = Date.now();

    vi.advanceTimersByTime(1000);
    expect(stalls).toEqual([1000]);
    vi.advanceTimersByTime(750); // still held, but a probe was asked for less than a probe timeout ago
    expect(stalls).toEqual([1000]);
    vi.advanceTimersByTime(250);
    expect(stalls).toEqual([1000, 2000]);

    stop();
    vi.advanceTimersByTime(5000);
    expect(stalls).toHaveLength(2);
  });
});
