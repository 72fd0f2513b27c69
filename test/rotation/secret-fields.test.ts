/** The secret's fields as the rotation function reads them (rotation/secret-fields.ts). */
import { describe, expect, it } from 'vitest';
import { SecretFieldError } from '../../rotation/errors.js';
import { alternateUsername, isRdsManagedShape, parseDbSecret } from '../../rotation/secret-fields.js';

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
