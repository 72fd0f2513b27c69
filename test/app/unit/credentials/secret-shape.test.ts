import { describe, expect, it } from 'vitest';
import { parseSecret, SecretFormatError } from '../../../../app/src/credentials/secret-shape.js';

const PASSWORD = 'unit-test-password-7f3a9c';
const full = {
  engine: 'postgres',
  host: 'db.example.internal',
  port: 5432,
  dbname: 'app',
  username: 'app',
  password: PASSWORD,
  masterarn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf',
};

function formatError(secret: string | undefined, fallback = {}): SecretFormatError {
  try {
    parseSecret(secret, fallback);
  } catch (err) {
    if (err instanceof SecretFormatError) return err;
    throw err;
  }
  throw new Error('expected a SecretFormatError');
}

describe('parseSecret', () => {
  it('reads the full rotation shape; the secret wins over env', () => {
    const parsed = parseSecret(JSON.stringify(full), { host: 'ignored', port: 1, dbname: 'ignored' });
    expect(parsed.credentials).toEqual({
      host: full.host,
      port: 5432,
      dbname: 'app',
      username: 'app',
      password: PASSWORD,
    });
    expect(parsed.sources).toEqual({ host: 'secret', port: 'secret', dbname: 'secret' });
  });

  it('reads the RDS-managed shape with host, port and dbname from config', () => {
    const parsed = parseSecret(JSON.stringify({ username: 'postgres', password: PASSWORD }), {
      host: 'db.internal',
      port: 6543,
      dbname: 'orders',
    });
    expect(parsed.credentials).toEqual({
      host: 'db.internal',
      port: 6543,
      dbname: 'orders',
      username: 'postgres',
      password: PASSWORD,
    });
    expect(parsed.sources).toEqual({ host: 'env', port: 'env', dbname: 'env' });
  });

  it('falls back to port 5432 and dbname postgres', () => {
    const parsed = parseSecret(JSON.stringify({ username: 'u', password: PASSWORD, host: 'h' }));
    expect(parsed.credentials).toMatchObject({ port: 5432, dbname: 'postgres' });
    expect(parsed.sources).toEqual({ host: 'secret', port: 'default', dbname: 'default' });
  });

  it('accepts a port written as a string', () => {
    expect(parseSecret(JSON.stringify({ ...full, port: '6432' })).credentials.port).toBe(6432);
  });

  it.each(['username', 'password'])('names a missing %s', (field) => {
    const err = formatError(JSON.stringify({ ...full, [field]: undefined }));
    expect(err.field).toBe(field);
    expect(err.message).toBe(`secret is missing the "${field}" field`);
  });

  it.each([
    ['username', 42, 'must be a non-empty string'],
    ['password', '', 'must be a non-empty string'],
    ['host', 7, 'must be a string'],
    ['port', 'abc', 'must be an integer from 1 to 65535'],
    ['port', 70000, 'must be an integer from 1 to 65535'],
  ])('names a malformed %s', (field, value, message) => {
    const err = formatError(JSON.stringify({ ...full, [field]: value }));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('names the host when neither the secret nor DB_HOST has one', () => {
    const err = formatError(JSON.stringify({ username: 'u', password: PASSWORD }));
    expect(err.field).toBe('host');
    expect(err.message).toMatch(/DB_HOST/);
  });

  it('never quotes the secret text in its errors', () => {
    const bad = [
      `{"password":"${PASSWORD}"`,
      `["${PASSWORD}"]`,
      `"${PASSWORD}"`,
      JSON.stringify({ password: PASSWORD }),
    ];
    for (const secret of bad) {
      const err = formatError(secret);
      expect(err.message).not.toContain(PASSWORD);
      expect(String(err.stack)).not.toContain(PASSWORD);
    }
    expect(formatError(`{"password":"${PASSWORD}"`).message).toBe('secret is not valid JSON');
    expect(formatError(undefined).message).toMatch(/no SecretString/);
  });
});
