/**
 * The `Database` contract over the AWS Advanced NodeJS Wrapper's pooled PostgreSQL client
 * (AwsPgPoolClient) with its `secretsManager` plugin, configured as the wrapper's documentation
 * shows (docs/using-the-nodejs-wrapper/using-plugins/UsingTheAwsSecretsManagerPlugin.md and
 * UsingTheConnectionPool.md): connection parameters without user or password, `secretId`,
 * `secretRegion`, `secretEndpoint`, `plugins: "secretsManager"`, and an AwsPoolConfig.
 *
 * Everything about credentials is the wrapper's: it reads the secret when it opens a connection and
 * caches it; when the database refuses a login it reads the secret once more and tries again. There
 * is no retry here on top of it: a failure is the request's failure, as with the plain pool.
 */
import { AwsPgPoolClient } from 'aws-advanced-nodejs-wrapper/pg';
import type { QueryResult, QueryResultRow } from 'pg';
import type { Database, Queryable } from '../../../app/src/index.js';

/*
 * The few members used here, typed here: the package's .d.ts files re-export through extensionless
 * relative paths ("./pg/lib/index"), which TypeScript's NodeNext resolution cannot follow, so its
 * own types arrive unresolved. Shapes as in dist/pg/lib/client.d.ts and dist/common/lib/aws_pool_config.d.ts.
 */
interface AwsPoolConfig {
  maxConnections: number;
  idleTimeoutMillis: number;
  waitForConnections: boolean;
  queueLimit: number;
  maxIdleConnections: number;
  minConnections: number;
  allowExitOnIdle: boolean;
  maxLifetimeSeconds: number;
}
interface PooledConnection {
  query(text: string, values?: unknown[]): Promise<QueryResult>;
  release(): Promise<void>;
}
interface PoolClient {
  connect(): Promise<PooledConnection>;
  end(): Promise<void>;
}
type PoolClientConstructor = new (config: Record<string, unknown>, poolConfig?: AwsPoolConfig) => PoolClient;
const PgPoolClient = AwsPgPoolClient as unknown as PoolClientConstructor;

export interface WrapperDatabaseOptions {
  host: string;
  port: number;
  database: string;
  schema: string;
  secretId: string;
  region: string;
  /** The Secrets Manager endpoint (the local one here); the SDK's default otherwise. */
  secretsManagerEndpoint?: string;
  max: number;
  maxLifetimeSeconds: number;
}

export class WrapperDatabase implements Database {
  readonly pool: PoolClient;

  constructor(options: WrapperDatabaseOptions) {
    this.pool = new PgPoolClient(
      {
        host: options.host,
        port: options.port,
        database: options.database,
        secretId: options.secretId,
        secretRegion: options.region,
        ...(options.secretsManagerEndpoint !== undefined && {
          secretEndpoint: options.secretsManagerEndpoint,
        }),
        // Only the Secrets Manager plugin: the default ones (failover, efm2, connection tracker)
        // are for Aurora clusters and the docs say to disable them on a plain database.
        plugins: 'secretsManager',
        // The same connect timeout and schema as the other variants' pools.
        wrapperConnectTimeout: 5_000,
        options: `-c search_path=${options.schema}`,
      },
      poolConfig({
        maxConnections: options.max,
        // The same recycling as the other variants (see proof/naive-app/plain-database.ts).
        maxLifetimeSeconds: options.maxLifetimeSeconds,
        idleTimeoutMillis: 30_000,
      }),
    );
  }

  async read<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const connection = await this.pool.connect();
    try {
      return await work(queryable(connection));
    } finally {
      await connection.release();
    }
  }

  async transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const connection = await this.pool.connect();
    const q = queryable(connection);
    try {
      await q.query('BEGIN');
      const result = await work(q);
      await q.query('COMMIT');
      return result;
    } catch (error) {
      // A broken connection is dropped by pg's pool when it is released; nothing more to do here.
      await q.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await connection.release();
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * `new AwsPoolConfig(…)` as the docs show, without importing the package's root entry: that entry
 * also loads the Blue/Green plugin, which statically imports the IAM plugin and with it
 * `@aws-sdk/credential-providers`, a package the wrapper does not depend on (the import fails
 * without it). `aws-advanced-nodejs-wrapper/pg` does not export AwsPoolConfig. Same defaults.
 */
function poolConfig(
  settings: Pick<AwsPoolConfig, 'maxConnections' | 'maxLifetimeSeconds' | 'idleTimeoutMillis'>,
): AwsPoolConfig {
  return {
    maxIdleConnections: settings.maxConnections,
    waitForConnections: true,
    queueLimit: 0,
    minConnections: 0,
    allowExitOnIdle: false,
    ...settings,
  };
}

/** The wrapper's connection types its query loosely; the routes' Queryable is what it returns. */
function queryable(connection: PooledConnection): Queryable {
  return {
    query: <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) =>
      (values === undefined ? connection.query(text) : connection.query(text, values)) as Promise<
        QueryResult<R>
      >,
  };
}
