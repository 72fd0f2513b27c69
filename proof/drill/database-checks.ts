/** What the drill checks in the database afterwards, as the master user (never through the app). */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { parseSecret, type DbCredentials } from '../../app/src/index.js';
import { type AcknowledgedWrite, checkWrites, fetchOrderRows, type WriteCheck } from '../load/index.js';
import type { SecretsAccess } from './drill-types.js';
import type { DrillEnvironment } from './environment.js';

/** A connection as the master user to the app's database (for the checks, never for the load). */
export async function masterClient(env: SecretsAccess): Promise<{ client: pg.Client; appUser: string }> {
  if (env.masterSecretId === undefined)
    throw new Error('no master secret (--master-secret-id or DB_MASTER_SECRET_ID)');
  const [master, app] = await Promise.all([
    env.admin.send(new GetSecretValueCommand({ SecretId: env.masterSecretId })),
    env.admin.send(new GetSecretValueCommand({ SecretId: env.secretId })),
  ]);
  const appDb = parseSecret(app.SecretString, {}).credentials;
  const m = parseSecret(master.SecretString, {
    host: appDb.host,
    port: appDb.port,
    dbname: appDb.dbname,
  }).credentials;
  const client = await connectLocal(m, appDb.dbname);
  return { client, appUser: appDb.username.replace(/_clone$/, '') };
}

/** A plain connection to the local server (loopback, no TLS) with these credentials. */
export async function connectLocal(c: DbCredentials, database = c.dbname): Promise<pg.Client> {
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    database,
    user: c.username,
    password: c.password,
    ssl: false,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function verifyWrites(
  env: DrillEnvironment,
  acked: readonly AcknowledgedWrite[],
): Promise<WriteCheck> {
  const { client } = await masterClient(env);
  try {
    return checkWrites(acked, await fetchOrderRows(client, env.schema, acked));
  } finally {
    await client.end();
  }
}

/** Runs `fn` on a fresh master connection, closed afterwards. */
export async function withMaster<T>(
  env: DrillEnvironment,
  fn: (client: pg.Client, appUser: string) => Promise<T>,
): Promise<T> {
  const { client, appUser } = await masterClient(env);
  try {
    return await fn(client, appUser);
  } finally {
    await client.end();
  }
}

/** The app's login roles: the first one and its alternating-users clone. */
export const appRoles = (appUser: string): string[] => [appUser, `${appUser}_clone`];

/** Terminates every backend of the app's login roles (both of them); returns how many. */
export function killAppConnections(env: DrillEnvironment): Promise<number> {
  return withMaster(env, async (client, appUser) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
        WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()`,
      [appRoles(appUser)],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

/** Orders with no lines, or whose total is not the sum of its lines: a write that half happened. */
export async function countPartialOrders(env: DrillEnvironment): Promise<number> {
  const { client } = await masterClient(env);
  try {
    const schema = pg.escapeIdentifier(env.schema);
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${schema}.orders o
        WHERE o.total_cents IS DISTINCT FROM (
          SELECT sum(l.quantity::bigint * l.unit_price_cents) FROM ${schema}.order_lines l WHERE l.order_id = o.id)`,
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
