/** Classifying pg errors by SQLSTATE / Node error code, never by server message text. */

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** 28P01 invalid_password, 28000 invalid_authorization_specification (e.g. role cannot log in). */
export function isAuthFailure(err: unknown): boolean {
  const code = codeOf(err);
  return code === '28P01' || code === '28000';
}

const CONNECTION_LOST_CODES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/**
 * pg refuses to send on a client whose connection already failed. Its own fixed text (pg's, not the
 * server's): the statement never left this process.
 */
export function wasNeverSent(err: unknown): boolean {
  return err instanceof Error && codeOf(err) === undefined && /is not queryable/.test(err.message);
}

/**
 * The connection is gone (or never came up). pg raises client-side losses without a code, with
 * its own fixed texts ("Connection terminated…", "…is not queryable"); those are pg's, not the server's.
 */
export function isConnectionLost(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined) return CONNECTION_LOST_CODES.has(code);
  return err instanceof Error && (/^Connection terminated/.test(err.message) || wasNeverSent(err));
}

/**
 * The server has no room for another connection: 53300 too_many_connections (max_connections or a
 * role's CONNECTION LIMIT) or 53400 configuration_limit_exceeded. A capacity condition, not a fault:
 * work waits for a connection the pool already has.
 */
export function isCapacityRefusal(err: unknown): boolean {
  const code = codeOf(err);
  return code === '53300' || code === '53400';
}

/** SQLSTATE class 53, insufficient resources (disk full, out of memory, too many connections). */
export function isInsufficientResources(err: unknown): boolean {
  return codeOf(err)?.startsWith('53') ?? false;
}

/**
 * pg's own text when a statement got no answer within `query_timeout`: the server is silent. The
 * statement may have reached it, and the connection is unusable (the answer may still arrive).
 */
export function isQueryTimeout(err: unknown): boolean {
  return err instanceof Error && codeOf(err) === undefined && err.message === 'Query read timeout';
}

/** pg-pool's own text when no connection could be had within connectionTimeoutMillis. */
export function isPoolTimeout(err: unknown): boolean {
  return err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message);
}
