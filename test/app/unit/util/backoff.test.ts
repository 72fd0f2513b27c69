import { describe, expect, it } from 'vitest';
import { backoffDelay, jittered } from '../../../../app/src/util/backoff.js';
import { SingleFlight } from '../../../../app/src/util/single-flight.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 2000 };

  it('stays within [e/2, e] for e = min(max, base·2ⁿ)', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const e = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      expect(backoffDelay(attempt, policy, () => 0)).toBe(e / 2);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeCloseTo(e, 0);
      const sampled = backoffDelay(attempt, policy);
      expect(sampled).toBeGreaterThanOrEqual(e / 2);
      expect(sampled).toBeLessThanOrEqual(e);
    }
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffDelay(1000, policy, () => 1)).toBe(policy.maxMs);
  });

  it('jitters a period by at most the fraction', () => {
    expect(jittered(30_000, 0.1, () => 0)).toBe(27_000);
    expect(jittered(30_000, 0.1, () => 1)).toBe(33_000);
  });
});

describe('SingleFlight', () => {
  it('shares one execution between concurrent callers of a key', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const work = async () => {
      runs++;
      await gate;
      return runs;
    };
    const callers = Array.from({ length: 10 }, () => flights.run('k', work));
    const other = flights.run('other', work);
    release();
    expect(await Promise.all(callers)).toEqual(Array(10).fill(2));
    expect(await other).toBe(2);
    expect(runs).toBe(2);
    // Once settled, the next call runs again.
    expect(await flights.run('k', work)).toBe(3);
  });

  it('shares a rejection and then forgets it', async () => {
    const flights = new SingleFlight();
    const failing = () => Promise.reject(new Error('boom'));
    await expect(Promise.all([flights.run('k', failing), flights.run('k', failing)])).rejects.toThrow('boom');
    expect(await flights.run('k', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('is idle exactly while no execution is under way, whether it succeeds or fails', async () => {
    const flights = new SingleFlight();
    expect(flights.idle).toBe(true);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ok = flights.run('a', () => gate);
    const failing = flights.run('b', () => gate.then(() => Promise.reject(new Error('boom'))));
    expect(flights.idle).toBe(false);
    expect(flights.pending('a')).toBe(ok);
    release();
    await ok;
    await expect(failing).rejects.toThrow('boom');
    expect(flights.idle).toBe(true);
    expect(flights.pending('a')).toBeUndefined();
  });
});
