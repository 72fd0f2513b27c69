/** The rotation function's configuration (rotation/config.ts): environment to typed, validated settings. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRotationConfig } from '../../rotation/config.js';
import { RotationConfigError } from '../../rotation/errors.js';

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
