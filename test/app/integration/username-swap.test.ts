/**
 * The secret starts naming another database user (what alternating-users rotation does): the app
 * builds a new pool, warms it, swaps it in and drains the old one, while requests keep coming and a
 * long query on the old pool runs to completion.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSwap } from '../../../app/src/db/pool-generation.js';
import {
  startServiceHarness,
  untilQueryRunning,
  type ServiceHarness,
} from '../../helpers/service-harness.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness();
});

afterAll(async () => {
  await h.stop();
});

describe('username change', () => {
  it('swaps pools make-before-break; the in-flight query on the old pool completes', async () => {
    const clonePassword = await h.createAppRole('app_clone');

    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(100);
    const before = h.service.pool.stats().generation;

    // A long query holds a connection of the old pool across the swap.
    const longQuery = h.service.pool.read(async (q) => {
      const { rows } = await q.query<{ who: string }>(
        'SELECT current_user AS who, pg_sleep(1) /* long-query */',
      );
      return rows[0]?.who;
    });
    await untilQueryRunning(h.master, 'app', '%long-query%');

    const { value } = await h.currentSecret();
    const versionId = await h.putVersion(
      JSON.stringify({ ...value, username: 'app_clone', password: clonePassword }),
    );
    await h.promote(versionId);

    const swapped = once(h.service.pool, 'swap') as Promise<[PoolSwap]>;
    const drained = once(h.service.pool, 'drained') as Promise<[{ generation: number; username: string }]>;
    expect((await h.service.health.runOnce()).credentials).toBe('changed');
    const [swap] = await swapped;
    expect(swap).toMatchObject({ from: 'app', to: 'app_clone', generation: before + 1 });
    expect(swap.warmed).toBeGreaterThanOrEqual(1);

    // The old pool is still draining: its query finishes as the user it started as.
    expect(await longQuery).toBe('app');
    const [drain] = await drained;
    expect(drain).toEqual({ generation: before, username: 'app' });

    const who = await h.service.pool.read(
      async (q) => (await q.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u,
    );
    expect(who).toBe('app_clone');
    const { rows: leftovers } = await h.master.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'app' AND application_name = 'orders-api'`,
    );
    expect(Number(leftovers[0]?.n)).toBe(0);

    await load.waitForRequests(200);
    const result = await load.stop();
    expect(result.failures).toEqual([]);

    // Orders written through either user are visible through the other (the owner role owns them).
    const { rows } = await h.master.query<{ n: string }>(
      'SELECT count(*) AS n FROM app.orders WHERE id = ANY($1)',
      [result.orderIds],
    );
    expect(Number(rows[0]?.n)).toBe(result.orderIds.length);

    const ready = (await (await fetch(`${h.service.url}/health/ready`)).json()) as {
      credentials: { username: string };
      pool: { generation: number };
    };
    expect(ready).toMatchObject({ credentials: { username: 'app_clone' }, pool: { generation: before + 1 } });
  });

  it('keeps the current pool when the new user cannot log in, and swaps once it can', async () => {
    const password = await h.newPassword();
    const { value } = await h.currentSecret();
    const generation = h.service.pool.stats().generation;
    // The secret names 'app' with a password the database does not have (yet).
    const versionId = await h.putVersion(JSON.stringify({ ...value, username: 'app', password }));
    await h.setRolePassword('app', await h.newPassword()); // 'app' exists but with another password
    await h.promote(versionId);

    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(50);
    await h.service.health.runOnce();
    expect(h.service.pool.stats().generation).toBe(generation);
    expect(h.service.pool.username).toBe('app_clone');
    await load.waitForRequests(100);

    // The database catches up: the next cycle swaps.
    const swapped = once(h.service.pool, 'swap');
    await h.setRolePassword('app', password);
    await h.service.health.runOnce();
    await swapped;
    expect(h.service.pool.username).toBe('app');
    await load.waitForRequests(100);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(
      h.logs.entries().some((e) => e.msg === 'new pool could not be warmed; keeping the current pool'),
    ).toBe(true);
  });

  it('wrote no password to the logs', () => {
    const output = h.logs.lines.join('\n');
    expect(h.passwords.filter((p) => output.includes(p))).toHaveLength(0);
  });
});
