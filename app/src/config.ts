import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

/**
 * Environment → typed config, validated once at startup. Every bad or missing variable is named in
 * one error, with the form it should take; nothing starts on a half-valid config.
 */

/** The HTTP settings' defaults, here once: buildApp (http/app.ts) falls back to the same values. */
export const HTTP_DEFAULTS = {
  bodyLimitBytes: 65_536,
  writesPerMinute: 600,
  idempotencyRetentionHours: 24,
} as const;

/**
 * Database bounds with no variable of their own: an operator has no reason to change them, and the
 * tests that need them shorter pass `tuning` to loadConfig (test/helpers/service-harness.ts).
 */
export const DB_TUNING = {
  /** A readiness probe of the database may take this long; a checkout held this long also triggers one. */
  probeTimeoutMs: 1000,
  /** A request keeps retrying this long after the database refused the credentials. */
  authRetrySeconds: 60,
} as const;
export type DbTuning = { [K in keyof typeof DB_TUNING]: number };

/** Variables this app no longer reads, refused by name: a stale setting must not be lost in silence. */
const RETIRED_VARIABLES: Record<string, string> = {
  CLOUDWATCH_EMF: 'set CLOUDWATCH_EMF_SERVICE to turn CloudWatch EMF on (it names the Service dimension)',
  DB_PROBE_TIMEOUT_MS: `the readiness probe's bound is fixed at ${DB_TUNING.probeTimeoutMs} ms`,
  DB_AUTH_RETRY_SECONDS: `a request retries a refused login for ${DB_TUNING.authRetrySeconds} s`,
};

const integer = (min: number, max: number, fallback: number | undefined, what: string) =>
  Type.Integer({
    minimum: min,
    maximum: max,
    ...(fallback !== undefined && { default: fallback }),
    description: `an integer from ${min} to ${max} (${what})`,
  });
const oneOf = <const T extends readonly string[]>(values: T, fallback: T[number]) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { default: fallback, description: `one of ${values.join(', ')}` },
  );
const optionalText = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const identifier = (fallback: string, what: string) =>
  Type.String({
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    default: fallback,
    description: `a lower-case SQL identifier (${what})`,
  });

const EnvSchema = Type.Object({
  DB_SECRET_ID: Type.String({ minLength: 1, description: 'the app secret ARN or name' }),
  DB_HOST: optionalText('a host name'),
  DB_PORT: Type.Optional(integer(1, 65535, undefined, 'a TCP port')),
  DB_NAME: optionalText('a database name'),
  DB_SSL: oneOf(['verify-full', 'require', 'disable'] as const, 'verify-full'),
  DB_SSL_CA: optionalText('a path to a PEM file'),
  DB_SCHEMA: identifier('app', 'the schema the app works in'),
  DB_OWNER_ROLE: identifier('app_owner', 'the role that owns the schema'),
  DB_POOL_MAX: integer(1, 1000, 10, 'connections per pool'),
  DB_POOL_MAX_LIFETIME_SECONDS: integer(10, 86_400, 300, 'seconds a connection may live'),
  DB_CONNECT_TIMEOUT_MS: integer(100, 60_000, 5000, 'milliseconds to wait for a connection'),
  DB_QUERY_TIMEOUT_MS: integer(100, 600_000, 3000, 'milliseconds to wait for the answer to a statement'),
  DB_MIGRATE: oneOf(['true', 'false'] as const, 'true'),
  PORT: integer(0, 65535, 3000, 'a TCP port'),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'an address to listen on' }),
  BODY_LIMIT_BYTES: integer(1024, 10_485_760, HTTP_DEFAULTS.bodyLimitBytes, 'request body limit in bytes'),
  IDEMPOTENCY_RETENTION_HOURS: integer(
    1,
    8760,
    HTTP_DEFAULTS.idempotencyRetentionHours,
    'hours an Idempotency-Key is remembered',
  ),
  RATE_LIMIT_WRITES_PER_MINUTE: integer(
    0,
    1_000_000,
    HTTP_DEFAULTS.writesPerMinute,
    'writes per minute per client, 0 = off',
  ),
  TRUST_PROXY: Type.String({
    pattern: '^(?:false|true|[1-9]|10)$',
    default: 'false',
    description: 'false, true, or the number of proxy hops in front of the app from 1 to 10',
  }),
  OPENAPI_DOCS: oneOf(['true', 'false'] as const, 'false'),
  CREDENTIAL_REFRESH_SECONDS: integer(1, 86_400, 30, 'seconds between health-check cycles'),
  SHUTDOWN_DELAY_SECONDS: integer(0, 600, 5, 'seconds to stay up, unready, before closing the listener'),
  SHUTDOWN_GRACE_SECONDS: integer(1, 900, 25, 'seconds the whole shutdown may take'),
  // Set: the credential metrics also go to stdout as CloudWatch EMF records, with this Service dimension.
  CLOUDWATCH_EMF_SERVICE: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$',
      description: 'a name of letters, digits and . _ / - (the Service dimension of the CloudWatch metrics)',
    }),
  ),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  AWS_REGION: optionalText('an AWS region such as eu-west-1'),
  // Read by the SDK itself; checked here so that a bad URL fails at startup, naming the variable.
  AWS_ENDPOINT_URL_SECRETS_MANAGER: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]+$', description: 'an http(s) URL' }),
  ),
});
type Env = Static<typeof EnvSchema>;

export type SslMode = 'verify-full' | 'require' | 'disable';

export interface AppConfig {
  secretId: string;
  db: {
    /** Fill only what the secret lacks (the RDS-managed shape has no host/port/dbname). */
    fallback: { host?: string; port?: number; dbname?: string };
    ssl: SslMode;
    sslCaPath?: string;
    schema: string;
    ownerRole: string;
    poolMax: number;
    maxLifetimeSeconds: number;
    connectTimeoutMs: number;
    /** Client-side bound on one statement: a silent server costs a request at most this (plus the connect wait). */
    queryTimeoutMs: number;
    /** Readiness probe bound (DB_TUNING, or a test's tuning); a checkout held this long also triggers a probe. */
    probeTimeoutMs: number;
    authRetrySeconds: number;
    migrate: boolean;
  };
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** POST/PUT/PATCH/DELETE requests per minute per client address; 0: no limit. */
    writesPerMinute: number;
    /** Fastify's `trustProxy`: which X-Forwarded-For entry `request.ip` is. */
    trustProxy: boolean | number;
    /** Serve the OpenAPI document (/openapi.json) and Swagger UI (/docs). Off in production. */
    apiDocs: boolean;
  };
  credentialRefreshSeconds: number;
  /** Orders' Idempotency-Keys older than this are forgotten (a repeat then creates a new order). */
  idempotencyRetentionHours: number;
  shutdown: { delaySeconds: number; graceSeconds: number };
  logLevel: Env['LOG_LEVEL'];
  /** Credential metrics as CloudWatch embedded metric format records on stdout (metric-names.ts); absent: off. */
  cloudwatchEmf?: { service: string };
  aws: { region?: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function describeProblems(env: Record<string, unknown>): string[] {
  const byVariable = new Map<string, string>();
  for (const error of Value.Errors(EnvSchema, env)) {
    if (error.keyword === 'required') {
      const names = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      for (const name of names)
        byVariable.set(name, `${name} is required (${schemaOf(name).description ?? ''})`);
      continue;
    }
    const name = error.instancePath.split('/')[1];
    if (!name || byVariable.has(name)) continue;
    const got = JSON.stringify(String(env[name])).slice(0, 80);
    byVariable.set(name, `${name} must be ${schemaOf(name).description ?? 'valid'} (got ${got})`);
  }
  return [...byVariable.values()];
}

const INTEGER_VARIABLES = Object.entries(EnvSchema.properties as Record<string, TSchema & { type?: unknown }>)
  .filter(([, schema]) => schema.type === 'integer')
  .map(([name]) => name);

function schemaOf(name: string): TSchema & { description?: string } {
  const property = (EnvSchema.properties as Record<string, TSchema | undefined>)[name];
  return property ?? {};
}

export function loadConfig(
  source: NodeJS.ProcessEnv = process.env,
  tuning: Partial<DbTuning> = {},
): AppConfig {
  // Only known keys, empty strings treated as unset (a common docker/compose artefact).
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw })) as Record<string, unknown>;
  // TypeBox's conversion would read "1.5" as 1 and "0x10" as 16: integers must be plain decimals,
  // anything else stays text and fails the check below.
  for (const key of INTEGER_VARIABLES) {
    const text = raw[key];
    if (typeof text === 'string' && !/^-?[0-9]+$/.test(text)) converted[key] = text;
  }
  const retired = Object.entries(RETIRED_VARIABLES)
    .filter(([name]) => source[name] !== undefined && source[name].trim() !== '')
    .map(([name, instead]) => `${name} is no longer read: ${instead}`);
  if (retired.length > 0 || !Value.Check(EnvSchema, converted))
    throw new ConfigError([...retired, ...describeProblems(converted)]);
  const env = converted;

  return {
    secretId: env.DB_SECRET_ID,
    db: {
      fallback: {
        ...(env.DB_HOST !== undefined && { host: env.DB_HOST }),
        ...(env.DB_PORT !== undefined && { port: env.DB_PORT }),
        ...(env.DB_NAME !== undefined && { dbname: env.DB_NAME }),
      },
      ssl: env.DB_SSL,
      ...(env.DB_SSL_CA !== undefined && { sslCaPath: env.DB_SSL_CA }),
      schema: env.DB_SCHEMA,
      ownerRole: env.DB_OWNER_ROLE,
      poolMax: env.DB_POOL_MAX,
      maxLifetimeSeconds: env.DB_POOL_MAX_LIFETIME_SECONDS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS,
      ...DB_TUNING,
      ...tuning,
      migrate: env.DB_MIGRATE === 'true',
    },
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      writesPerMinute: env.RATE_LIMIT_WRITES_PER_MINUTE,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      apiDocs: env.OPENAPI_DOCS === 'true',
    },
    credentialRefreshSeconds: env.CREDENTIAL_REFRESH_SECONDS,
    idempotencyRetentionHours: env.IDEMPOTENCY_RETENTION_HOURS,
    shutdown: { delaySeconds: env.SHUTDOWN_DELAY_SECONDS, graceSeconds: env.SHUTDOWN_GRACE_SECONDS },
    logLevel: env.LOG_LEVEL,
    ...(env.CLOUDWATCH_EMF_SERVICE !== undefined && {
      cloudwatchEmf: { service: env.CLOUDWATCH_EMF_SERVICE },
    }),
    aws: { ...(env.AWS_REGION !== undefined && { region: env.AWS_REGION }) },
  };
}

function parseTrustProxy(value: string): boolean | number {
  return value === 'true' ? true : value === 'false' ? false : Number(value);
}
