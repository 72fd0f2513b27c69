/**
 * A pool opens at most a few connections at once: after a mass disconnect, queued checkouts wait
 * for one of those (or for a connection to come back) instead of each starting a handshake. Real
 * PostgreSQL with password auth; the pool's client class counts the handshakes under way.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpeningLimit, OpeningTurnExpired } from '../../app/src/db/opening-limit.js';
import { startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;

beforeAll(async () => {
  server = await startTestPostgres();
});

afterAll(async () => {
  await server.stop();
});

/** A pool that records how many handshakes were under way at most (none fail here). */
function countingPool(max: number) {
  const seen = { opening: 0, peak: 0, opened: 0 };
  class CountingClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config); // pg-pool makes a client right before connecting it
      seen.opening++;
      seen.peak = Math.max(seen.peak, seen.opening);
    }
  }
  const pool = new pg.Pool({
    Client: CountingClient,
    host: server.host,
    port: server.port,
    user: server.superuser,
    password: server.superuserPassword,
    database: server.database,
    max,
  });
  pool.on('connect', () => {
    seen.opening--;
    seen.opened++;
  });
  return { pool, seen };
}

/** `n` checkouts at once, each running one short statement. */
async function checkouts(n: number, connect: () => Promise<pg.PoolClient>): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: n }, async () => {
      const client = await connect();
      try {
        const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
        return rows[0]?.one ?? 0;
      } finally {
        client.release();
      }
    }),
  );
  return results.reduce((a, b) => a + b, 0);
}

describe('opening limit', () => {
  it('without it, pg-pool opens a connection for every checkout that finds none idle', async () => {
    const { pool, seen } = countingPool(10);
    try {
      expect(await checkouts(12, () => pool.connect())).toBe(12);
      expect(seen.peak).toBeGreaterThan(2);
    } finally {
      await pool.end();
    }
  });

  it('with a limit of 2, at most 2 handshakes run at once and every checkout is served', async () => {
    const { pool, seen } = countingPool(10);
    const limit = new OpeningLimit(pool, 2);
    try {
      expect(await checkouts(12, () => limit.connect(5000))).toBe(12);
      expect(seen.peak).toBe(2);
      expect(limit.opening).toBe(0);
      // queued checkouts were served on the connections already opened, not one each
      expect(seen.opened).toBeLessThan(12);
    } finally {
      await pool.end();
    }
  });

  it('hands a released connection to a waiting checkout instead of opening another', async () => {
    const { pool, seen } = countingPool(10);
    const limit = new OpeningLimit(pool, 1);
    try {
      const first = await limit.connect(5000);
      const opening = limit.connect(5000); // the one handshake the limit allows
      const waiting = limit.connect(5000);
      first.release();
      const second = await waiting;
      expect(second).toBe(first);
      second.release();
      (await opening).release();
      expect(seen.opened).toBe(2);
    } finally {
      await pool.end();
    }
  });

  describe('against a server that accepts connections and never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket));
      silent.listen(0, '127.0.0.1');
      await once(silent, 'listening');
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      silent.close();
      await once(silent, 'close');
    });

    it('fails a checkout that gets no turn within its budget, while the handshake it waited on still hangs', async () => {
      const address = silent.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const pool = new pg.Pool({
        host: '127.0.0.1',
        port: address.port,
        user: 'nobody',
        password: 'unused',
        connectionTimeoutMillis: 30_000,
        max: 4,
      });
      pool.on('error', () => undefined);
      const limit = new OpeningLimit(pool, 1);
      let firstSettled = false;
      const first = limit.connect(30_000).then(
        () => undefined,
        (err: unknown) => err,
      );
      void first.finally(() => (firstSettled = true));
      await once(silent, 'connection');

      await expect(limit.connect(200)).rejects.toBeInstanceOf(OpeningTurnExpired);
      expect(firstSettled).toBe(false); // the budget ended the wait, not the hanging handshake
      expect(limit.opening).toBe(1);
      expect(sockets).toHaveLength(1); // the waiting checkout never started a handshake of its own

      for (const s of sockets) s.destroy();
      expect(await first).toBeInstanceOf(Error);
      expect(limit.opening).toBe(0);
      await pool.end();
    });
  });
});
