/**
 * The `Database` contract over one ordinary pg.Pool with a fixed user and password: what an app
 * does when ECS injects the secret once, at task start. No refresh, no retry on authentication
 * failure; a refused connection is an error for the request that needed it.
 */
import pg from 'pg';
import type { Database, Queryable, DbCredentials, PoolStats } from '../../app/src/index.js';

export class PlainDatabase implements Database {
  readonly pool: pg.Pool;

  constructor(
    credentials: DbCredentials,
    options: { schema: string; maxLifetimeSeconds: number; max: number },
  ) {
    this.pool = new pg.Pool({
      host: credentials.host,
      port: credentials.port,
      database: credentials.dbname,
      user: credentials.username,
      password: credentials.password,
      max: options.max,
      // The same recycling as the rotating app's pools (app/src/db/pool-generation.ts).
      maxLifetimeSeconds: options.maxLifetimeSeconds,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${options.schema}`,
    });
    this.pool.on('error', () => undefined);
  }

  /** The pool's figures for /metrics and /health/ready (one pool for the life of the process). */
  stats(): PoolStats {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
      generation: 1,
      ceiling: this.pool.options.max,
    };
  }

  async read<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  async transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
