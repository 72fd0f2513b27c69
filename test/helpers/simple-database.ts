import pg from 'pg';
import type { Database, Queryable } from '../../app/src/db/database.js';

/**
 * FOR ROUTE TESTS ONLY: the `Database` contract over a plain `pg.Pool`, so HTTP tests can run
 * against a real PostgreSQL without the rotating pool. No retries, no credential refresh, no
 * mapping of connection failures to DatabaseUnavailableError; the real implementation lives in
 * app/src/db/ and has its own tests.
 */
export class SimpleDatabase implements Database {
  readonly pool: pg.Pool;

  constructor(config: {
    host: string;
    port: number;
    database: string;
    user: string;
    password: string;
    schema?: string;
  }) {
    this.pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password: config.password,
      max: 10,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${config.schema ?? 'app'}`,
    });
    // An idle client that loses its connection must not crash the test process.
    this.pool.on('error', () => undefined);
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
