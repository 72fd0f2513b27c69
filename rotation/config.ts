/**
 * The rotation function's environment → typed, validated config. Read once per Lambda container;
 * every problem is reported at once, naming its variable. No value read here is a secret.
 *
 *   ROTATION_STRATEGY            single-user | alternating-users (required: the two AWS templates are two functions)
 *   EXCLUDE_CHARACTERS           characters new passwords never contain; default :/@"'\ and space
 *   PASSWORD_LENGTH              default 32
 *   EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE, EXCLUDE_LOWERCASE   default false
 *   REQUIRE_EACH_INCLUDED_TYPE   default true
 *   DB_SSL                       verify-full (default) | require | disable
 *   DB_SSL_CA                    PEM file to verify the server with; default the bundled RDS CA bundle
 *   DB_MASTER_HOST, DB_MASTER_PORT   where the master user connects when the master secret is the
 *                                RDS-managed {username, password} (else RDS is asked, through the secret's tags)
 *   DB_OWNER_ROLE                alternating users: a role every rotated user must be a member of (INHERIT, SET)
 *   LOG_LEVEL                    debug | info (default) | warn | error | silent
 *   SECRETS_MANAGER_ENDPOINT     Secrets Manager endpoint URL (as the AWS templates); the SDK's own
 *                                AWS_ENDPOINT_URL_SECRETS_MANAGER works too
 */
import { readFileSync } from 'node:fs';
import { RotationConfigError } from './errors.js';
import type { LogLevel } from './logger.js';

export const STRATEGIES = ['single-user', 'alternating-users'] as const;
export type RotationStrategy = (typeof STRATEGIES)[number];

export const SSL_MODES = ['verify-full', 'require', 'disable'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** GetRandomPassword's parameters. */
export interface PasswordRules {
  length: number;
  excludeCharacters: string;
  excludeNumbers: boolean;
  excludePunctuation: boolean;
  excludeUppercase: boolean;
  excludeLowercase: boolean;
  requireEachIncludedType: boolean;
}

export interface TlsConfig {
  mode: SslMode;
  /** PEM text of the CA from DB_SSL_CA; absent means the bundled RDS CA bundle (verify-full only). */
  ca?: string;
  caPath?: string;
}

export interface RotationConfig {
  strategy: RotationStrategy;
  password: PasswordRules;
  tls: TlsConfig;
  master: { host?: string; port?: number };
  ownerRole?: string;
  /** Connect timeout for every database login; 5 s as the AWS templates. */
  connectTimeoutMs: number;
  logLevel: LogLevel;
  secretsManagerEndpoint?: string;
}

export const CONNECT_TIMEOUT_MS = 5000;

/** The rotation templates' ExcludeCharacters, plus space. */
export const DEFAULT_EXCLUDE_CHARACTERS = ':/@"\'\\ ';
export const DEFAULT_PASSWORD_LENGTH = 32;
const MAX_PASSWORD_LENGTH = 4096; // GetRandomPassword's own limit

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const TRUE_WORDS = new Set(['true', '1', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n']);
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

type Env = Record<string, string | undefined>;

export function loadRotationConfig(env: Env = process.env): RotationConfig {
  const problems: string[] = [];
  // Empty means unset, except for EXCLUDE_CHARACTERS, where empty means "exclude nothing".
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback?: T): T | undefined => {
    const value = text(name);
    if (value === undefined) {
      if (fallback === undefined) problems.push(`${name} is required (one of ${allowed.join(', ')})`);
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = text(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (TRUE_WORDS.has(value)) return true;
    if (FALSE_WORDS.has(value)) return false;
    problems.push(`${name} must be true or false`);
    return fallback;
  };
  const integer = (name: string, min: number, max: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return parsed;
  };

  const strategy = oneOf('ROTATION_STRATEGY', STRATEGIES);
  const mode = oneOf('DB_SSL', SSL_MODES, 'verify-full') ?? 'verify-full';
  const caPath = text('DB_SSL_CA');
  let ca: string | undefined;
  if (caPath !== undefined) {
    if (mode !== 'verify-full') {
      problems.push(`DB_SSL_CA is only used with DB_SSL=verify-full (DB_SSL is ${mode})`);
    } else {
      try {
        ca = readFileSync(caPath, 'utf8');
        if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
          problems.push(`DB_SSL_CA must be a PEM file with at least one certificate (${caPath})`);
        }
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        problems.push(`DB_SSL_CA cannot be read (${caPath}: ${typeof code === 'string' ? code : 'error'})`);
      }
    }
  }

  const ownerRole = text('DB_OWNER_ROLE');
  if (ownerRole !== undefined && !IDENTIFIER.test(ownerRole)) {
    problems.push('DB_OWNER_ROLE must be a lower-case SQL identifier of at most 63 characters');
  }
  const endpoint = text('SECRETS_MANAGER_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/\S+$/.test(endpoint)) {
    problems.push('SECRETS_MANAGER_ENDPOINT must be an http(s) URL');
  }
  const masterHost = text('DB_MASTER_HOST');
  const masterPort = integer('DB_MASTER_PORT', 1, 65535);

  const password: PasswordRules = {
    length: integer('PASSWORD_LENGTH', 1, MAX_PASSWORD_LENGTH) ?? DEFAULT_PASSWORD_LENGTH,
    excludeCharacters: env.EXCLUDE_CHARACTERS ?? DEFAULT_EXCLUDE_CHARACTERS,
    excludeNumbers: bool('EXCLUDE_NUMBERS', false),
    excludePunctuation: bool('EXCLUDE_PUNCTUATION', false),
    excludeUppercase: bool('EXCLUDE_UPPERCASE', false),
    excludeLowercase: bool('EXCLUDE_LOWERCASE', false),
    requireEachIncludedType: bool('REQUIRE_EACH_INCLUDED_TYPE', true),
  };
  if (
    password.excludeNumbers &&
    password.excludePunctuation &&
    password.excludeUppercase &&
    password.excludeLowercase
  ) {
    problems.push(
      'EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE and EXCLUDE_LOWERCASE exclude every character',
    );
  }
  const logLevel = oneOf('LOG_LEVEL', LOG_LEVELS, 'info') ?? 'info';

  if (problems.length > 0 || strategy === undefined) throw new RotationConfigError(problems);
  return {
    strategy,
    password,
    tls: { mode, ...(ca !== undefined && { ca }), ...(caPath !== undefined && { caPath }) },
    master: {
      ...(masterHost !== undefined && { host: masterHost }),
      ...(masterPort !== undefined && { port: masterPort }),
    },
    ...(ownerRole !== undefined && { ownerRole }),
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    logLevel,
    ...(endpoint !== undefined && { secretsManagerEndpoint: endpoint }),
  };
}
