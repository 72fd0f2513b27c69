/**
 * Test support for the HTTP layer, in the spirit of fastify/demo's test/helper.ts: build the real
 * app, but listening on a real port (0: any free one) and exercised over real HTTP with `fetch`.
 *
 * Database-backed suites also get a real PostgreSQL with the production role layout: a NOLOGIN
 * owner role that owns the schema, a login role that is a member of it, migrations applied by the
 * login role through SET ROLE.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import type { Database } from '../../app/src/db/database.js';
import { runMigrations } from '../../app/src/db/migrate.js';
import type { ReadinessSnapshot, ReadinessSource } from '../../app/src/health/readiness.js';
import { buildApp } from '../../app/src/http/app.js';
import type { ErrorBody } from '../../app/src/http/errors.js';
import { createMetrics, type Metrics } from '../../app/src/metrics.js';
import { startSecretsManagerEndpoint } from '../../local/secrets-manager/index.js';
import { bootstrapDatabase } from '../../db-bootstrap/index.js';
import { startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { SimpleDatabase } from '../helpers/simple-database.js';

export const OWNER_ROLE = 'app_owner';
export const APP_ROLE = 'app';
export const SCHEMA = 'app';
const MASTER_SECRET_ID = 'test/rds/master';
const APP_SECRET_NAME = 'test/app/db';

// ---------------------------------------------------------------------------------------------
// The app on a listening port

export interface TestApp {
  app: FastifyInstance;
  metrics: Metrics;
  baseUrl: string;
  /** `fetch` against the app: `request('/api/products?limit=5')`. */
  request: (path: string, init?: RequestInit) => Promise<Response>;
  /** POST a JSON value (serialised here) or a raw string (sent as it is). */
  postJson: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response>;
  close: () => Promise<void>;
}

export async function startTestApp(options: {
  db: Database;
  readiness?: ReadinessSource;
  logger?: Logger;
  bodyLimitBytes?: number;
  writesPerMinute?: number;
  trustProxy?: boolean | number;
  apiDocs?: boolean;
}): Promise<TestApp> {
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildApp({
    db: options.db,
    readiness: options.readiness ?? stubReadiness(),
    metrics,
    logger: options.logger ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.writesPerMinute === undefined ? {} : { writesPerMinute: options.writesPerMinute }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.apiDocs === undefined ? {} : { apiDocs: options.apiDocs }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on TCP');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const request = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);
  return {
    app,
    metrics,
    baseUrl,
    request,
    postJson: (path, body, headers = {}) =>
      request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => app.close(),
  };
}

/** A ReadinessSource whose snapshot a test can change between requests. */
export function stubReadiness(initial: Partial<ReadinessSnapshot> = {}): ReadinessSource & {
  current: ReadinessSnapshot;
} {
  const source = {
    current: {
      ready: true,
      draining: false,
      database: { reachable: true, checkedAt: new Date(0).toISOString() },
      credentials: {
        versionId: 'version-1',
        stage: 'AWSCURRENT',
        username: APP_ROLE,
        fetchedAt: new Date(0).toISOString(),
        ageSeconds: 0,
        lastCheckAt: new Date(0).toISOString(),
      },
      pool: { generation: 1, total: 1, idle: 1, waiting: 0 },
      ...initial,
    },
    snapshot: () => source.current,
  };
  return source;
}

/** A Database whose every call fails with `error` (and records that it was called). */
export function failingDatabase(error: () => Error): Database & { calls: number } {
  const db = {
    calls: 0,
    read: () => {
      db.calls += 1;
      return Promise.reject(error());
    },
    transaction: () => {
      db.calls += 1;
      return Promise.reject(error());
    },
  };
  return db;
}

/** Asserts the API's one error shape and returns the parsed body. */
export async function expectError(response: Response, statusCode: number, code: string): Promise<ErrorBody> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: body.error.code }).toEqual({ status: statusCode, code });
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String) as string,
      statusCode,
      requestId: expect.any(String) as string,
      ...(body.error.details === undefined ? {} : { details: expect.any(Array) as unknown[] }),
    },
  });
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const detail of body.error.details ?? []) {
    expect(detail).toEqual({
      location: expect.stringMatching(/^(body|querystring|params|headers)$/) as string,
      path: expect.any(String) as string,
      message: expect.any(String) as string,
    });
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface AppLogin {
  user: string;
  password: string;
}

/**
 * A private PostgreSQL (test/helpers/postgres.ts: Docker when available, embedded otherwise, SCRAM
 * either way) bootstrapped as production is: db-bootstrap/ against the local Secrets
 * Manager endpoint creates the owner role, the app login role and, per database, the app schema.
 */
export interface TestCluster {
  server: RunningPostgres;
  /** The app role's login, read back from the app secret. */
  login: AppLogin;
  /** Bootstraps another database (database, CONNECT, schema owned by the owner role). */
  bootstrap: (database: string) => Promise<void>;
  stop: () => Promise<void>;
}

export async function startTestCluster(firstDatabase = 'app'): Promise<TestCluster> {
  const [server, endpoint] = await Promise.all([startTestPostgres(), startSecretsManagerEndpoint()]);
  const secretsManager = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: endpoint.region,
    credentials: { accessKeyId: 'AKIDHTTPTEST', secretAccessKey: 'local-test-dummy-key' },
  });
  const stop = async () => {
    secretsManager.destroy();
    await endpoint.close();
    await server.stop();
  };
  try {
    const bootstrap = async (database: string) => {
      await bootstrapDatabase({
        secretsManager,
        connection: {
          host: server.host,
          port: server.port,
          maintenanceDatabase: server.database,
          ssl: false,
        },
        masterCredentials: { username: server.superuser, password: server.superuserPassword },
        masterSecretId: MASTER_SECRET_ID,
        appSecretName: APP_SECRET_NAME,
        database,
        schema: SCHEMA,
        ownerRole: OWNER_ROLE,
        appUser: APP_ROLE,
      });
    };
    await bootstrap(firstDatabase);
    const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: APP_SECRET_NAME }));
    const { username, password } = JSON.parse(secret.SecretString ?? '{}') as {
      username?: unknown;
      password?: unknown;
    };
    if (typeof username !== 'string' || typeof password !== 'string')
      throw new Error('the app secret has no login');
    return { server, login: { user: username, password }, bootstrap, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Connects as the superuser to `database` (default: the server's own). The caller ends it. */
export async function superuserClient(
  server: RunningPostgres,
  database = server.database,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.superuser,
    password: server.superuserPassword,
    database,
  });
  await client.connect();
  return client;
}

/** Connects as the app's login role, as the app's migration step does. The caller ends it. */
export async function appClient(
  server: RunningPostgres,
  login: AppLogin,
  database: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: login.user,
    password: login.password,
    database,
  });
  await client.connect();
  return client;
}

export interface TestDatabase {
  cluster: TestCluster;
  database: string;
  /** The route tests' Database, connected as the app role with search_path = app. */
  db: SimpleDatabase;
  /** One-off query as the superuser, schema-qualified by the caller. */
  adminQuery: <R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ) => Promise<R[]>;
  stop: () => Promise<void>;
}

/** A bootstrapped cluster with the migrations applied, plus a SimpleDatabase for the routes. */
export async function startTestDatabase(): Promise<TestDatabase> {
  const database = 'app';
  const cluster = await startTestCluster(database);
  const { server, login } = cluster;
  try {
    const client = await appClient(server, login, database);
    try {
      await runMigrations({
        client,
        ownerRole: OWNER_ROLE,
        schema: SCHEMA,
        logger: pino({ level: 'silent' }),
      });
    } finally {
      await client.end();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  const db = new SimpleDatabase({
    host: server.host,
    port: server.port,
    database,
    user: login.user,
    password: login.password,
    schema: SCHEMA,
  });
  return {
    cluster,
    database,
    db,
    adminQuery: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
      const admin = await superuserClient(server, database);
      try {
        return (await admin.query<R>(text, values)).rows;
      } finally {
        await admin.end();
      }
    },
    stop: async () => {
      await db.end();
      await cluster.stop();
    },
  };
}
