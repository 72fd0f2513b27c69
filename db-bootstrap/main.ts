/**
 * `npm run bootstrap`: the database bootstrap (db-bootstrap/) against a PostgreSQL server
 * and a Secrets Manager endpoint given by the environment. docker compose runs it once, before the
 * app starts; running it again changes nothing (existing secrets are read, never replaced).
 *
 * PostgreSQL, as the master user (libpq's variable names):
 *   PGHOST (required), PGPORT (5432), PGUSER (postgres), PGPASSWORD, PGDATABASE (postgres: the
 *   maintenance database). PGPASSWORD is needed only to create the master secret; once it exists,
 *   its value is used.
 *   DB_SSL              verify-full (default) | require | disable (plaintext: local only)
 *   DB_SSL_CA           PEM bundle for verify-full; the RDS CA bundle by default
 * What is created (the bootstrap's defaults otherwise):
 *   DB_SECRET_ID        name of the app secret (the app's DB_SECRET_ID); local/app/db
 *   MASTER_SECRET_ID    name or ARN of the master secret; local/rds/master
 *   DB_NAME, DB_SCHEMA, DB_OWNER_ROLE, DB_APP_USER   app, app, app_owner, app
 *   DB_SECRET_HOST, DB_SECRET_PORT   host and port written into the secrets (what the app and the
 *                       rotation function connect to); PGHOST and PGPORT by default
 * Secrets Manager: the AWS SDK's own variables (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_REGION,
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...).
 *   BOOTSTRAP_WAIT_SECONDS  how long to keep retrying while PostgreSQL or Secrets Manager cannot be
 *                       reached yet (default 60; 0 = one attempt)
 *
 * Prints what it changed (never a password) and a last line `bootstrap done: ...`. Exit code 1
 * when the bootstrap fails, 2 on a bad environment.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { bootstrapDatabase, type BootstrapOptions, type BootstrapResult } from './index.js';
import { SSL_MODES, type SslMode, pgSslOptions, UNREACHABLE_CODES } from '../rotation/public.js';

const problems: string[] = [];
const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};
const port = (name: string, fallback: number | undefined): number | undefined => {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
    problems.push(`${name} must be a port number from 1 to 65535, got "${raw}"`);
  }
  return value;
};

const host = env('PGHOST');
if (host === undefined) problems.push('PGHOST is required');
const pgPort = port('PGPORT', 5432) ?? 5432;
const sslRaw = env('DB_SSL') ?? 'verify-full';
if (!(SSL_MODES as readonly string[]).includes(sslRaw)) {
  problems.push(`DB_SSL must be one of ${SSL_MODES.join(', ')}, got "${sslRaw}"`);
}
const caPath = env('DB_SSL_CA');
let ca: string | undefined;
if (caPath !== undefined) {
  try {
    ca = readFileSync(caPath, 'utf8');
  } catch (err) {
    problems.push(`DB_SSL_CA: cannot read ${caPath}: ${(err as Error).message}`);
  }
}
const waitRaw = env('BOOTSTRAP_WAIT_SECONDS') ?? '60';
const waitSeconds = Number(waitRaw);
if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
  problems.push(`BOOTSTRAP_WAIT_SECONDS must be a number of seconds, got "${waitRaw}"`);
}
const secretPort = port('DB_SECRET_PORT', undefined);

if (problems.length > 0 || host === undefined) {
  for (const problem of problems) console.error(`bootstrap: ${problem}`);
  process.exit(2);
}

const masterPassword = env('PGPASSWORD');
const options: Omit<BootstrapOptions, 'secretsManager'> = {
  connection: {
    host,
    port: pgPort,
    maintenanceDatabase: env('PGDATABASE') ?? 'postgres',
    ssl: pgSslOptions({ mode: sslRaw as SslMode, ...(ca !== undefined && { ca }) }),
  },
  ...(masterPassword !== undefined && {
    masterCredentials: { username: env('PGUSER') ?? 'postgres', password: masterPassword },
  }),
  secretEndpoint: { host: env('DB_SECRET_HOST') ?? host, port: secretPort ?? pgPort },
  log: (line) => {
    console.log(`bootstrap: ${line}`);
  },
};
type Names = Pick<
  BootstrapOptions,
  'masterSecretId' | 'appSecretName' | 'database' | 'schema' | 'ownerRole' | 'appUser'
>;
const named: [keyof Names, string][] = [
  ['masterSecretId', 'MASTER_SECRET_ID'],
  ['appSecretName', 'DB_SECRET_ID'],
  ['database', 'DB_NAME'],
  ['schema', 'DB_SCHEMA'],
  ['ownerRole', 'DB_OWNER_ROLE'],
  ['appUser', 'DB_APP_USER'],
];
const names: Names = {};
for (const [option, variable] of named) {
  const value = env(variable);
  if (value !== undefined) names[option] = value;
}

/** Codes of "not reachable yet": compose starts everything at once. */
const NOT_YET = new Set([
  ...UNREACHABLE_CODES,
  '57P03', // the database system is starting up
]);

function notReachableYet(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && NOT_YET.has(code)) return true;
    if (name === 'TimeoutError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const client = new SecretsManagerClient({});
const deadline = Date.now() + waitSeconds * 1000;
let result: BootstrapResult | undefined;
try {
  for (let attempt = 1; ; attempt++) {
    try {
      result = await bootstrapDatabase({ ...options, ...names, secretsManager: client });
      break;
    } catch (err) {
      if (!notReachableYet(err) || Date.now() >= deadline) throw err;
      const message = err instanceof Error ? err.message : String(err);
      console.log(`bootstrap: not reachable yet (attempt ${attempt}): ${message}; retrying`);
      await delay(Math.min(2000, 250 * 2 ** Math.min(attempt, 3)));
    }
  }
  const changes = result.changes.length === 0 ? 'nothing to change' : `${result.changes.length} change(s)`;
  console.log(
    `bootstrap done: ${changes}; database ${result.database}, schema ${result.schema} owned by ` +
      `${result.ownerRole}, app user ${result.appUser}; app secret ${result.appSecretArn}`,
  );
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`bootstrap failed: ${message}`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
