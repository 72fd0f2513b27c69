/** The bootstrap's PostgreSQL connection and catalog queries. */
import pg from 'pg';
import { sqlState, PG16, serverVersion } from '../rotation/public.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type BootstrapConnection } from './options.js';

export { PG16, serverVersion };

export const ident = (name: string): string => pg.escapeIdentifier(name);
export const literal = (value: string): string => pg.escapeLiteral(value);

export async function connectClient(
  connection: BootstrapConnection,
  user: string,
  password: string,
  database: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user,
    password,
    database,
    ssl: connection.ssl,
    connectionTimeoutMillis: connection.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: 'rotation-bootstrap',
  });
  // A server-side disconnect between queries must not crash the process; the next query fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

export interface RoleRow {
  oid: number;
  rolname: string;
  rolcanlogin: boolean;
  rolinherit: boolean;
}

export async function findRole(client: pg.Client, name: string): Promise<RoleRow | undefined> {
  const result = await client.query<RoleRow>(
    'SELECT oid::int AS oid, rolname, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1',
    [name],
  );
  return result.rows[0];
}

export async function exists(client: pg.Client, sql: string, params: unknown[]): Promise<boolean> {
  const result = await client.query(sql, params);
  return (result.rowCount ?? 0) > 0;
}

export async function isSuperuser(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ s: boolean }>(
    'SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user',
  );
  return result.rows[0]?.s === true;
}

export async function canSetRole(
  client: pg.Client,
  version: number,
  member: string,
  role: string,
): Promise<boolean> {
  const privilege = version >= PG16 ? 'SET' : 'MEMBER';
  const result = await client.query<{ ok: boolean }>('SELECT pg_has_role($1, $2, $3) AS ok', [
    member,
    role,
    privilege,
  ]);
  return result.rows[0]?.ok === true;
}

/** Direct membership that both inherits the owner's privileges and allows SET ROLE to it. */
export async function hasUsableMembership(
  client: pg.Client,
  version: number,
  ownerRole: string,
  member: RoleRow,
): Promise<boolean> {
  if (version >= PG16) {
    return exists(
      client,
      `SELECT 1 FROM pg_auth_members m
        WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND m.member = $2
          AND m.inherit_option AND m.set_option`,
      [ownerRole, member.oid],
    );
  }
  const direct = await exists(
    client,
    'SELECT 1 FROM pg_auth_members m WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND m.member = $2',
    [ownerRole, member.oid],
  );
  return direct && member.rolinherit;
}

const DUPLICATE_CODES = new Set(['42710', '42P04', '42P06']); // duplicate_object, _database, _schema

/** Concurrent bootstraps: losing the race to create an object is fine. */
export async function ignoreDuplicate(query: Promise<unknown>): Promise<void> {
  try {
    await query;
  } catch (err) {
    if (!DUPLICATE_CODES.has(sqlState(err) ?? '')) throw err;
  }
}
