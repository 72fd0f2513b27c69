/**
 * A connection in use by a request, whose backend ends between two statements (pg_terminate_backend,
 * a failover): pg emits 'error' on the client while no statement is running, which would end the
 * process if nothing listened. The process keeps running, the work is redone on a fresh connection
 * and the next request is served. And a connection held past the probe timeout on a pool that is
 * being drained after a swap still asks for a probe. Real PostgreSQL, the app on a real port.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Queryable } from '../../../app/src/db/database.js';
import {
  startServiceHarness,
  untilQueryRunning,
  type ServiceHarness,
} from '../../helpers/service-harness.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness({ DB_POOL_MAX: '3' }, { tuning: { probeTimeoutMs: 200 } });
});

afterAll(async () => {
  await h.stop();
});

const poolLogs = (msg: string) => h.logs.entries().filter((e) => e.component === 'pool' && e.msg === msg);

/** Ends the backend of the work's connection (a pg client) from another session; waits until the client saw it go. */
async function terminateBackendOf(q: Queryable): Promise<void> {
  const client = q as Queryable & { once(event: 'end', listener: () => void): unknown };
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  // Not events.once(): it listens for 'error' too, and would handle the very event under test.
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  await h.master.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
  await ended;
}

describe('a checked-out connection whose backend ends between two statements', () => {
  it('is logged, not fatal: the read is redone on a fresh connection and the next request is served', async () => {
    const before = poolLogs('checked-out connection lost').length;
    let attempts = 0;
    const rows = await h.service.pool.read(async (q) => {
      attempts++;
      if (attempts === 1) await terminateBackendOf(q);
      return (await q.query<{ one: number }>('SELECT 1 AS one')).rows;
    });

    expect(rows).toEqual([{ one: 1 }]);
    expect(attempts).toBe(2);
    expect(poolLogs('checked-out connection lost').length).toBeGreaterThan(before);
    expect((await fetch(`${h.service.url}/api/products/1`)).status).toBe(200);
  });

  it('inside a transaction: nothing was committed, so the transaction is redone', async () => {
    const note = `backend-ended-${Date.now()}`;
    let attempts = 0;
    await h.service.pool.transaction(async (q) => {
      attempts++;
      await q.query('INSERT INTO orders (total_cents, note) VALUES (0, $1)', [note]);
      if (attempts === 1) await terminateBackendOf(q);
    });

    expect(attempts).toBe(2);
    const { rows } = await h.master.query('SELECT count(*)::int AS n FROM app.orders WHERE note = $1', [
      note,
    ]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('an idle connection whose backend ends is logged as such, not as a checked-out one', async () => {
    await h.service.pool.read((q) => q.query('SELECT 1')); // at least one idle connection
    const idleBefore = poolLogs('idle connection lost').length;
    const checkedOutBefore = poolLogs('checked-out connection lost').length;

    expect(await h.killSessions(['app'])).toBeGreaterThan(0);
    await vi.waitFor(
      () => {
        expect(poolLogs('idle connection lost').length).toBeGreaterThan(idleBefore);
      },
      { timeout: 5000, interval: 20 },
    );

    expect(poolLogs('checked-out connection lost').length).toBe(checkedOutBefore);
    expect((await fetch(`${h.service.url}/api/products/1`)).status).toBe(200);
  });
});

// Last: the swap leaves the service on another user.
describe('a connection held past the probe timeout on a pool being drained after a swap', () => {
  it('still asks for a probe', async () => {
    const clonePassword = await h.createAppRole('app_clone');
    const { pool } = h.service;
    // Held across the swap, well past the probe timeout and under the query timeout (3 s).
    const held = pool.read((q) => q.query('SELECT pg_sleep(2) /* held-across-swap */'));
    await untilQueryRunning(h.master, 'app', '%held-across-swap%');

    const { value } = await h.currentSecret();
    await h.promote(
      await h.putVersion(JSON.stringify({ ...value, username: 'app_clone', password: clonePassword })),
    );
    const swapped = once(pool, 'swap');
    expect((await h.service.health.runOnce()).credentials).toBe('changed');
    await swapped;

    // Work on the new pool takes milliseconds: a notice now is about the old pool's connection.
    const stalled = once(pool, 'stalled') as Promise<[{ heldMs: number }]>;
    const first = await Promise.race([stalled, held.then(() => 'the held connection came back first')]);
    expect(first).toEqual([{ heldMs: expect.any(Number) as number }]);
    expect((await stalled)[0].heldMs).toBeGreaterThanOrEqual(200);
    expect(pool.stats().generation).toBe(2);
    await held;
  });
});
