import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CapacityCeiling, waitAfterCapacityRefusal } from '../../../../app/src/db/capacity-ceiling.js';
import { DatabaseUnavailableError } from '../../../../app/src/db/database.js';
import { createMetrics } from '../../../../app/src/metrics.js';
import { counterValues } from '../../../helpers/counter-values.js';
import { captureLogs } from '../../../helpers/log-capture.js';

/** The fields of a pg.Pool the ceiling reads and sets. */
const fakePool = (max: number, totalCount: number) =>
  ({ options: { max, idleTimeoutMillis: 30_000 }, totalCount }) as unknown as pg.Pool;
const settings = (configured: number) => ({ configured, relaxMs: 5000, idleMs: 30_000, scarceIdleMs: 1000 });

describe('CapacityCeiling', () => {
  it('stops the pool at the connections it holds when the server refuses one', () => {
    const pool = fakePool(10, 3);
    const ceiling = new CapacityCeiling(pool, settings(10));
    expect(ceiling.refused(0)).toBe(3);
    expect(pool.options.max).toBe(3);
  });

  it('never goes below one connection, so work can still wait for room', () => {
    const pool = fakePool(10, 0);
    expect(new CapacityCeiling(pool, settings(10)).refused(0)).toBe(1);
    expect(pool.options.max).toBe(1);
  });

  it('gives one connection back per quiet interval, up to the configured size', () => {
    const pool = fakePool(4, 2);
    const ceiling = new CapacityCeiling(pool, settings(4));
    ceiling.refused(1000);
    ceiling.relax(5999);
    expect(ceiling.current).toBe(2);
    ceiling.relax(6000);
    expect(ceiling.current).toBe(3);
    ceiling.relax(6001); // the interval starts again after each step
    expect(ceiling.current).toBe(3);
    ceiling.relax(11_000);
    ceiling.relax(16_000);
    ceiling.relax(21_000);
    expect(ceiling.current).toBe(4);
  });

  it('while short of connections, idle ones go back to the server within a second; the usual timeout returns with the full size', () => {
    const pool = fakePool(3, 2);
    const ceiling = new CapacityCeiling(pool, settings(3));
    ceiling.refused(0);
    expect(pool.options.idleTimeoutMillis).toBe(1000);
    ceiling.relax(5000);
    expect(pool.options.idleTimeoutMillis).toBe(30_000);
  });

  it('a refusal while relaxing lowers it again', () => {
    const pool = fakePool(4, 2);
    const ceiling = new CapacityCeiling(pool, settings(4));
    ceiling.refused(0);
    ceiling.relax(5000);
    expect(ceiling.current).toBe(3);
    (pool as { totalCount: number }).totalCount = 2;
    ceiling.refused(5100);
    expect(ceiling.current).toBe(2);
  });
});

describe('CapacityCeiling shared with a draining pool', () => {
  it('leaves room for the connections another pool still holds, and takes it back as they close', () => {
    const pool = fakePool(10, 2);
    let elsewhere = 10;
    const ceiling = new CapacityCeiling(pool, { ...settings(10), heldElsewhere: () => elsewhere });
    // the old pool holds the whole size: the new one keeps to one connection (work waits for it)
    expect(ceiling.current).toBe(1);
    elsewhere = 7;
    ceiling.apply();
    expect(ceiling.current).toBe(3);
    elsewhere = 0;
    ceiling.apply();
    expect(ceiling.current).toBe(10);
  });

  it('keeps the lower of the learned ceiling and the room left', () => {
    const pool = fakePool(10, 4);
    let elsewhere = 0;
    const ceiling = new CapacityCeiling(pool, { ...settings(10), heldElsewhere: () => elsewhere });
    ceiling.refused(0);
    expect(ceiling.current).toBe(4);
    elsewhere = 8;
    ceiling.apply();
    expect(ceiling.current).toBe(2);
    elsewhere = 0;
    ceiling.apply();
    expect(ceiling.current).toBe(4); // still what the server allowed
    ceiling.relax(5000);
    expect(ceiling.current).toBe(5);
  });
});

describe('waitAfterCapacityRefusal', () => {
  const refusal = Object.assign(new Error('too many connections for role "app_a"'), { code: '53300' });

  function setup(totalCount: number) {
    const logs = captureLogs();
    const metrics = createMetrics({ defaultMetrics: false });
    const pool = fakePool(10, totalCount);
    const target = { pool, ceiling: new CapacityCeiling(pool, settings(10)), username: 'app_a' };
    const count = (name: string) => counterValues(metrics.registry, name, 'reason');
    return {
      logs,
      metrics,
      target,
      count,
      wait: { metrics, logger: logs.logger, random: () => 0, refusals: 1 },
    };
  }

  it('stops the pool at what it holds and lets the next attempt queue for one of its own', async () => {
    const t = setup(3);
    await waitAfterCapacityRefusal(refusal, t.target, { ...t.wait, giveUpAt: Date.now() + 60_000 });
    expect(t.target.ceiling.current).toBe(3);
    expect(await t.count('db_connection_refusals_total')).toEqual({ capacity: 1 });
    const entry = t.logs
      .entries()
      .find((e) => String(e.msg).startsWith('database refused a connection for capacity'));
    expect(entry).toMatchObject({ code: '53300', username: 'app_a', ceiling: 3 });
  });

  it("gives up with a 503's error once the checkout's time is up", async () => {
    const t = setup(0);
    await expect(
      waitAfterCapacityRefusal(refusal, t.target, { ...t.wait, giveUpAt: Date.now() - 1 }),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(await t.count('db_connection_acquire_failures_total')).toEqual({ capacity: 1 });
  });
});
