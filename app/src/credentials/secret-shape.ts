/**
 * The two secret shapes the app accepts:
 * - the rotation shape `{engine, host, port, dbname, username, password, masterarn?}`;
 * - the RDS-managed shape `{username, password}`, with host/port/dbname from configuration.
 * Errors name the field and never include the secret text.
 */

export interface DbCredentials {
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
}

export type FieldSource = 'secret' | 'env' | 'default';

export interface ParsedSecret {
  credentials: DbCredentials;
  /** Where host, port and dbname came from, for the startup log line. */
  sources: { host: FieldSource; port: FieldSource; dbname: FieldSource };
}

export interface ConnectionFallback {
  host?: string;
  port?: number;
  dbname?: string;
}

export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
  constructor(
    message: string,
    /** The field at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
  }
}

const DEFAULT_PORT = 5432;
const DEFAULT_DBNAME = 'postgres';

export function parseSecret(
  secretString: string | undefined,
  fallback: ConnectionFallback = {},
): ParsedSecret {
  if (secretString === undefined)
    throw new SecretFormatError('secret has no SecretString (binary secrets are not supported)');
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // JSON.parse's own message quotes the input, which is the secret: never pass it on.
    throw new SecretFormatError('secret is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretFormatError('secret is not a JSON object');
  }
  const fields = value as Record<string, unknown>;

  const username = requiredString(fields, 'username');
  const password = requiredString(fields, 'password');

  const secretHost = optionalString(fields, 'host');
  const host = secretHost ?? fallback.host;
  if (host === undefined) {
    throw new SecretFormatError('secret has no "host" field and DB_HOST is not set', 'host');
  }

  const secretPort = optionalPort(fields);
  const port = secretPort ?? fallback.port ?? DEFAULT_PORT;
  const secretDbname = optionalString(fields, 'dbname');
  const dbname = secretDbname ?? fallback.dbname ?? DEFAULT_DBNAME;

  return {
    credentials: { host, port, dbname, username, password },
    sources: {
      host: secretHost !== undefined ? 'secret' : 'env',
      port: secretPort !== undefined ? 'secret' : fallback.port !== undefined ? 'env' : 'default',
      dbname: secretDbname !== undefined ? 'secret' : fallback.dbname !== undefined ? 'env' : 'default',
    },
  };
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const v = fields[name];
  if (v === undefined || v === null)
    throw new SecretFormatError(`secret is missing the "${name}" field`, name);
  if (typeof v !== 'string' || v.length === 0) {
    throw new SecretFormatError(`secret field "${name}" must be a non-empty string`, name);
  }
  return v;
}

function optionalString(fields: Record<string, unknown>, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new SecretFormatError(`secret field "${name}" must be a string`, name);
  return v;
}

/** RDS writes the port as a number; hand-made secrets often hold a string. Accept both. */
function optionalPort(fields: Record<string, unknown>): number | undefined {
  const v = fields.port;
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new SecretFormatError('secret field "port" must be an integer from 1 to 65535', 'port');
  }
  return n;
}
