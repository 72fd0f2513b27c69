import { PlainDatabase } from '../../proof/naive-app/plain-database.js';

/**
 * FOR ROUTE TESTS ONLY: the `Database` contract over a plain `pg.Pool` (the naive app's), so HTTP
 * tests can run against a real PostgreSQL without the rotating pool. No retries, no credential
 * refresh; the real implementation lives in app/src/db/ and has its own tests.
 */
export class SimpleDatabase extends PlainDatabase {
  constructor(config: {
    host: string;
    port: number;
    database: string;
    user: string;
    password: string;
    schema?: string;
  }) {
    super(
      {
        host: config.host,
        port: config.port,
        dbname: config.database,
        username: config.user,
        password: config.password,
      },
      { schema: config.schema ?? 'app', maxLifetimeSeconds: 300, max: 10 },
    );
  }
}
