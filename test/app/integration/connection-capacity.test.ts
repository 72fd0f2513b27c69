/**
 * The database has no room for another connection (SQLSTATE 53300: the role's CONNECTION LIMIT,
 * as RDS max_connections would refuse during a scale-out or a pool swap), or stops answering a
 * statement. Neither is a server error: work waits, bounded, for a connection the pool already has,
 * and what cannot be served in time gets 503 + Retry-After. Real PostgreSQL, the app on a real port.
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseUnavailableError } from '../../../app/src/db/database.js';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness(
    { DB_POOL_MAX: '8', DB_CONNECT_TIMEOUT_MS: '1500', DB_QUERY_TIMEOUT_MS: '1500' },
    { tuning: { probeTimeoutMs: 200 } },
  );
});

afterAll(async () => {
  await h.stop();
});

afterEach(async () => {
  await setLimit(-1);
});

async function setLimit(limit: number): Promise<void> {
  await h.master.query(`ALTER ROLE app CONNECTION LIMIT ${limit}`);
}

const refusals = async () => {
  const metric = await h.service.metrics.registry.getSingleMetric('db_connection_refusals_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
};

/** `total` GETs, `concurrency` at a time; the statuses that came back. */
async function burst(total: number, concurrency: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const res = await fetch(`${h.service.url}/api/products/${(i % 20) + 1}`);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

describe('connection capacity', () => {
  it('serves 40 concurrent requests on the 2 connections a role limit allows: no 500, the pool stops at the limit', async () => {
    await setLimit(2);
    await h.killSessions(['app']); // the pool's open connections were made before the limit
    const before = await refusals();

    const statuses = await burst(600, 40);

    expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(await refusals()).toBeGreaterThan(before);
    // the pool learnt the ceiling from the refusals and queues for its own connections
    const stats = h.service.pool.stats();
    expect(stats.ceiling).toBeLessThanOrEqual(2);
    expect(stats.total).toBeLessThanOrEqual(2);
  });

  it('gives a learnt ceiling back one connection per quiet interval, with no request needed to do it', async () => {
    await setLimit(2);
    await h.killSessions(['app']);
    await burst(100, 10);
    const lowered = h.service.pool.stats().ceiling;
    expect(lowered).toBeLessThan(8);

    await setLimit(-1);
    await vi.waitFor(
      () => {
        expect(h.service.pool.stats().ceiling).toBe(lowered + 1);
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it('answers 503 + Retry-After within the connect budget when the server admits no connection at all', async () => {
    await setLimit(0);
    await h.killSessions(['app']);

    const res = await fetch(`${h.service.url}/api/products/1`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');

    await setLimit(-1);
    const after = await fetch(`${h.service.url}/api/products/1`);
    expect(after.status).toBe(200);
  });
});

describe('a statement the server does not answer in time', () => {
  it('costs a read at most the query timeout: 503, the connection discarded, the next read served', async () => {
    const { pool } = h.service;
    const unavailable = once(pool, 'unavailable');
    await expect(pool.read((q) => q.query('SELECT pg_sleep(5)'))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    await unavailable;
    const { rows } = await pool.read((q) => q.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('rolls back a transaction whose statement timed out: nothing it wrote is kept', async () => {
    const { pool } = h.service;
    const note = `timed-out-${Date.now()}`;
    await expect(
      pool.transaction(async (q) => {
        await q.query('INSERT INTO orders (total_cents, note) VALUES (0, $1)', [note]);
        await q.query('SELECT pg_sleep(5)');
      }),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);
    // The server ends the abandoned session once its statement returns; then the insert is gone for good.
    await expect
      .poll(
        async () =>
          (
            await h.master.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'app' AND query LIKE '%pg_sleep(5)%'",
            )
          ).rows[0] as { n: number },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual({ n: 0 });
    const { rows } = await h.master.query('SELECT count(*)::int AS n FROM app.orders WHERE note = $1', [
      note,
    ]);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('a connection held past the probe timeout asks for a probe; a server that still answers stays ready', async () => {
    const { pool } = h.service;
    const stalled = once(pool, 'stalled');
    // Held well past the probe timeout plus one scan interval (250 ms), and under the query timeout.
    const slow = pool.read((q) => q.query('SELECT pg_sleep(0.8)'));
    const [event] = (await stalled) as [{ heldMs: number }];
    expect(event.heldMs).toBeGreaterThanOrEqual(200);
    await slow;
    await h.service.health.runOnce();
    expect((await fetch(`${h.service.url}/health/ready`)).status).toBe(200);
  });
});
