/**
 * FOR ROUTE TESTS ONLY: the app's `Database` contract over one plain `pg.Pool` with a fixed login,
 * so HTTP tests run against a real PostgreSQL without the rotating pool (which has its own tests).
 * No retries, no credential refresh. It is the tests' own: the route tests depend on nothing in
 * proof/, whose naive app is a measured variant with its own pool.
 */
import pg from 'pg';
import type { Database, Queryable } from '../../app/src/db/database.js';
import type { PoolStats } from '../../app/src/metrics.js';

export interface SimpleDatabaseConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  schema?: string;
}

export class SimpleDatabase implements Database {
  readonly pool: pg.Pool;

  constructor(config: SimpleDatabaseConfig) {
    this.pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password: config.password,
      max: 10,
      // Bounded, as the app's pool is: a test with the database gone gets an error, not a hang.
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${config.schema ?? 'app'}`,
    });
    // A backend ended while idle (a restart test) must not end the test process.
    this.pool.on('error', () => undefined);
  }

  stats(): PoolStats {
    const { totalCount: total, idleCount: idle, waitingCount: waiting } = this.pool;
    return { total, idle, waiting, generation: 1, ceiling: this.pool.options.max };
  }

  async read<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  /** BEGIN, the work, COMMIT; on an error ROLLBACK, and a connection whose ROLLBACK failed is discarded. */
  async transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let discard = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      discard = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw error;
    } finally {
      client.release(discard);
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
