/**
 * A real PostgreSQL for database-backed suites, with the production role layout: a NOLOGIN owner
 * role that owns the schema, a login role that is a member of it, migrations applied by the login
 * role through SET ROLE.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { pino } from 'pino';
import { runMigrations } from '../../app/src/db/migrate.js';
import { startSecretsManagerEndpoint } from '../../local/secrets-manager/index.js';
import { bootstrapDatabase } from '../../db-bootstrap/index.js';
import { startTestPostgres, type RunningPostgres } from './postgres.js';
import { SimpleDatabase } from './simple-database.js';

export const OWNER_ROLE = 'app_owner';
export const APP_ROLE = 'app';
export const SCHEMA = 'app';
const MASTER_SECRET_ID = 'test/rds/master';
const APP_SECRET_NAME = 'test/app/db';

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
