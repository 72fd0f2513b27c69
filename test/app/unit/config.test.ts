import { describe, expect, it } from 'vitest';
import { ConfigError, DB_TUNING, loadConfig } from '../../../app/src/config.js';

const minimal = { DB_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      secretId: minimal.DB_SECRET_ID,
      db: {
        ssl: 'verify-full',
        fallback: {},
        poolMax: 10,
        schema: 'app',
        ownerRole: 'app_owner',
        migrate: true,
      },
      http: { host: '0.0.0.0', port: 3000, writesPerMinute: 600, trustProxy: false, apiDocs: false },
      credentialRefreshSeconds: 30,
      logLevel: 'info',
    });
    expect(config.cloudwatchEmf).toBeUndefined();
    expect(config.db).toMatchObject(DB_TUNING);
  });

  it('turns CloudWatch EMF on by naming its service, and only then', () => {
    expect(loadConfig({ ...minimal, CLOUDWATCH_EMF_SERVICE: 'orders-prod' }).cloudwatchEmf).toEqual({
      service: 'orders-prod',
    });
    expect(loadConfig({ ...minimal, CLOUDWATCH_EMF_SERVICE: ' ' }).cloudwatchEmf).toBeUndefined();
  });

  it("takes the database bounds that have no variable from a test's tuning", () => {
    const config = loadConfig(minimal, { probeTimeoutMs: 200 });
    expect(config.db.probeTimeoutMs).toBe(200);
    expect(config.db.authRetrySeconds).toBe(DB_TUNING.authRetrySeconds);
  });

  it('refuses a variable it no longer reads, naming it and what replaced it', () => {
    expect(() => loadConfig({ ...minimal, CLOUDWATCH_EMF: 'true', DB_PROBE_TIMEOUT_MS: '200' })).toThrow(
      /CLOUDWATCH_EMF is no longer read: set CLOUDWATCH_EMF_SERVICE[^]*DB_PROBE_TIMEOUT_MS is no longer read: the readiness probe's bound is fixed at 1000 ms/,
    );
  });

  it('converts and keeps every variable it knows', () => {
    const config = loadConfig({
      ...minimal,
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_NAME: 'orders',
      DB_SSL: 'disable',
      DB_SSL_CA: '/etc/ssl/rds.pem',
      PORT: '8080',
      HOST: '127.0.0.1',
      CREDENTIAL_REFRESH_SECONDS: '5',
      DB_POOL_MAX: '4',
      SHUTDOWN_GRACE_SECONDS: '40',
      LOG_LEVEL: 'debug',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566',
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      TRUST_PROXY: '1',
      OPENAPI_DOCS: 'true',
    });
    expect(config.db.fallback).toEqual({ host: 'db.internal', port: 6543, dbname: 'orders' });
    expect(config.db.ssl).toBe('disable');
    expect(config.db.sslCaPath).toBe('/etc/ssl/rds.pem');
    expect(config.http).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      writesPerMinute: 0,
      trustProxy: 1,
      apiDocs: true,
    });
    expect(config.credentialRefreshSeconds).toBe(5);
    expect(config.db.poolMax).toBe(4);
    expect(config.shutdown.graceSeconds).toBe(40);
    expect(config.logLevel).toBe('debug');
    expect(config.aws).toEqual({ region: 'eu-west-1' }); // the SDK reads the endpoint variable itself
  });

  it.each([
    ['false', false],
    ['true', true],
    ['1', 1],
    ['10', 10],
  ])('reads TRUST_PROXY=%s as %s', (value, expected) => {
    expect(loadConfig({ ...minimal, TRUST_PROXY: value }).http.trustProxy).toBe(expected);
  });

  it('takes OPENAPI_DOCS as true or false only', () => {
    expect(problemsOf({ ...minimal, OPENAPI_DOCS: 'yes' })).toEqual([
      expect.stringMatching(/^OPENAPI_DOCS must be one of true, false/),
    ]);
  });

  it('names the missing required variable', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^DB_SECRET_ID is required/)]);
  });

  it('treats empty strings as unset', () => {
    expect(problemsOf({ DB_SECRET_ID: '  ' })).toEqual([expect.stringMatching(/^DB_SECRET_ID is required/)]);
    expect(loadConfig({ ...minimal, DB_PORT: '' }).db.fallback.port).toBeUndefined();
  });

  it.each([
    ['PORT', '70000', /PORT must be an integer from 0 to 65535/],
    ['PORT', 'eighty', /PORT must be an integer/],
    ['PORT', '80.7', /PORT must be an integer from 0 to 65535 .*\(got "80\.7"\)/],
    ['PORT', '0x10', /PORT must be an integer/],
    ['BODY_LIMIT_BYTES', '1e5', /BODY_LIMIT_BYTES must be an integer/],
    ['DB_PORT', '0', /DB_PORT must be an integer from 1 to 65535/],
    ['DB_SSL', 'maybe', /DB_SSL must be one of verify-full, require, disable \(got "maybe"\)/],
    ['DB_POOL_MAX', '0', /DB_POOL_MAX must be an integer from 1/],
    ['CREDENTIAL_REFRESH_SECONDS', '-3', /CREDENTIAL_REFRESH_SECONDS must be an integer/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['CLOUDWATCH_EMF_SERVICE', 'orders api', /CLOUDWATCH_EMF_SERVICE must be a name of letters/],
    [
      'RATE_LIMIT_WRITES_PER_MINUTE',
      '-1',
      /RATE_LIMIT_WRITES_PER_MINUTE must be an integer from 0 to 1000000/,
    ],
    ['RATE_LIMIT_WRITES_PER_MINUTE', '1000001', /RATE_LIMIT_WRITES_PER_MINUTE must be an integer/],
    ['RATE_LIMIT_WRITES_PER_MINUTE', '1.5', /RATE_LIMIT_WRITES_PER_MINUTE must be an integer/],
    [
      'RATE_LIMIT_WRITES_PER_MINUTE',
      'lots',
      /RATE_LIMIT_WRITES_PER_MINUTE must be an integer .*\(got "lots"\)/,
    ],
    ['TRUST_PROXY', 'yes', /TRUST_PROXY must be false, true, or the number of proxy hops/],
    ['TRUST_PROXY', '0', /TRUST_PROXY must be false, true, or the number/],
    ['TRUST_PROXY', '11', /TRUST_PROXY must be false, true, or the number/],
    ['TRUST_PROXY', '10.0.0.0/8', /TRUST_PROXY must be .* \(got "10\.0\.0\.0\/8"\)/],
    ['TRUST_PROXY', 'TRUE', /TRUST_PROXY must be/],
    ['DB_SCHEMA', 'App; DROP', /DB_SCHEMA must be a lower-case SQL identifier/],
    [
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'localhost:4566',
      /AWS_ENDPOINT_URL_SECRETS_MANAGER must be an http\(s\) URL/,
    ],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    const problems = problemsOf({ ...minimal, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'x', DB_SSL: 'y' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['DB_SECRET_ID', 'DB_SSL', 'PORT']);
  });
});
