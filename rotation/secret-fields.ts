/**
 * The secret JSON the rotation function reads and writes:
 *   {engine, host, port?, dbname?, username, password, masterarn?, ...}
 * Required: host, username, password; for alternating users also engine (postgres or
 * aurora-postgresql). Defaults: port 5432, dbname postgres. Unknown fields are kept as they are
 * (createSecret copies the current version and changes only what it must).
 *
 * Errors name the secret and the field, never a value: JSON.parse's own message quotes the input
 * and is never passed on.
 */
import { SecretFieldError } from './errors.js';

export const SUPPORTED_ENGINES = ['postgres', 'aurora-postgresql'] as const;
export const DEFAULT_PORT = 5432;
export const DEFAULT_DBNAME = 'postgres';
/** PostgreSQL's limit on identifier length (NAMEDATALEN - 1). */
export const MAX_USERNAME_LENGTH = 63;
/** What the multi-user template appends to a username for its alternate (`app` ↔ `app_clone`). */
export const CLONE_SUFFIX = '_clone';

export interface DbSecret {
  engine?: string;
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
  masterarn?: string;
  /** The JSON object as stored, every field included. */
  raw: Record<string, unknown>;
}

export function parseSecretObject(secretString: string | undefined, what: string): Record<string, unknown> {
  if (secretString === undefined) throw new SecretFieldError(`${what} has no SecretString`);
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new SecretFieldError(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretFieldError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function requiredText(raw: Record<string, unknown>, field: string, what: string): string {
  const value = raw[field];
  if (value === undefined || value === null) {
    throw new SecretFieldError(`${what}: field "${field}" is missing`, field);
  }
  if (typeof value !== 'string' || value === '') {
    throw new SecretFieldError(`${what}: field "${field}" must be a non-empty string`, field);
  }
  return value;
}

function optionalText(raw: Record<string, unknown>, field: string, what: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new SecretFieldError(`${what}: field "${field}" must be a non-empty string`, field);
  }
  return value;
}

function port(raw: Record<string, unknown>, what: string): number {
  const value = raw.port;
  if (value === undefined || value === null) return DEFAULT_PORT;
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
    throw new SecretFieldError(`${what}: field "port" must be an integer from 1 to 65535`, 'port');
  }
  return parsed;
}

/** Validates a secret object; `requireEngine` for alternating users (the multi-user template requires it). */
export function toDbSecret(
  raw: Record<string, unknown>,
  what: string,
  options: { requireEngine: boolean },
): DbSecret {
  const engine = options.requireEngine
    ? requiredText(raw, 'engine', what)
    : optionalText(raw, 'engine', what);
  if (engine !== undefined && !(SUPPORTED_ENGINES as readonly string[]).includes(engine)) {
    throw new SecretFieldError(
      `${what}: field "engine" must be ${SUPPORTED_ENGINES.map((e) => `"${e}"`).join(' or ')}`,
      'engine',
    );
  }
  const masterarn = optionalText(raw, 'masterarn', what);
  return {
    ...(engine !== undefined && { engine }),
    host: requiredText(raw, 'host', what),
    port: port(raw, what),
    dbname: optionalText(raw, 'dbname', what) ?? DEFAULT_DBNAME,
    username: requiredText(raw, 'username', what),
    password: requiredText(raw, 'password', what),
    ...(masterarn !== undefined && { masterarn }),
    raw,
  };
}

export function parseDbSecret(
  secretString: string | undefined,
  what: string,
  options: { requireEngine: boolean },
): DbSecret {
  return toDbSecret(parseSecretObject(secretString, what), what, options);
}

/** True for the shape RDS creates for a managed master user: exactly {username, password}. */
export function isRdsManagedShape(raw: Record<string, unknown>): boolean {
  const keys = Object.keys(raw).sort();
  return keys.length === 2 && keys[0] === 'password' && keys[1] === 'username';
}

/** `x` ↔ `x_clone`, as the multi-user template. */
export function alternateUsername(username: string): string {
  if (username.endsWith(CLONE_SUFFIX)) return username.slice(0, -CLONE_SUFFIX.length);
  const clone = `${username}${CLONE_SUFFIX}`;
  if (clone.length > MAX_USERNAME_LENGTH) {
    throw new SecretFieldError(
      `Unable to clone user, username length with ${CLONE_SUFFIX} appended would exceed ${MAX_USERNAME_LENGTH} characters`,
      'username',
    );
  }
  return clone;
}
