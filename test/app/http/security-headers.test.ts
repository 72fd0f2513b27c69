import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../../app/src/db/database.js';
import { STATIC_SECURITY_HEADERS } from '../../../app/src/http/plugins/security-headers.js';
import { expectError, failingDatabase, startTestApp, type TestApp } from '../../helpers/http-app.js';

/** Headers the app sets for other reasons than security (transport, caching, tracing). */
const NOT_SECURITY = new Set([
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'date',
  'keep-alive',
  'x-request-id',
]);

function securityHeadersOf(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => !NOT_SECURITY.has(name)));
}

function expectSecurityHeaders(response: Response): void {
  const headers = response.headers;
  const csp = (headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim());
  expect(csp.sort()).toEqual(["default-src 'none'", "frame-ancestors 'none'"]);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
  expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+; includeSubDomains$/);
  expect(headers.get('x-powered-by')).toBeNull();
}

describe('security headers', () => {
  // No PostgreSQL: the database fails, which gives a 503 to check as well.
  const db = failingDatabase(() => new DatabaseUnavailableError('down'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
  });

  it('on a 200', async () => {
    const response = await t.request('/health/live');
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
  });

  it('on 4xx answers: validation, unknown route, oversized and non-JSON bodies, malformed URL', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [t.request('/api/products?limit=0'), 400, 'VALIDATION_FAILED'],
      [t.request('/no/such/route'), 404, 'ROUTE_NOT_FOUND'],
      [t.postJson('/api/orders', 'x'.repeat(70_000)), 413, 'PAYLOAD_TOO_LARGE'],
      [
        t.request('/api/orders', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [t.request('/api/products/%E0%A4%A'), 400, 'BAD_REQUEST'],
      [
        t.request('/api/products', { headers: { 'x-big': 'x'.repeat(20_000) } }),
        431,
        'REQUEST_HEADER_FIELDS_TOO_LARGE',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expectSecurityHeaders(response);
      await expectError(response, status, code);
    }
  });

  it('on a 503 and on metrics', async () => {
    const unavailable = await t.request('/api/products/1');
    expectSecurityHeaders(unavailable);
    await expectError(unavailable, 503, 'DATABASE_UNAVAILABLE');
    expectSecurityHeaders(await t.request('/metrics'));
  });

  it('the constants used where no hook runs are exactly what helmet sends', async () => {
    const fromHelmet = securityHeadersOf(await t.request('/health/live'));
    expect(fromHelmet).toEqual(STATIC_SECURITY_HEADERS);
    expect(securityHeadersOf(await t.request('/api/products/%FF'))).toEqual(STATIC_SECURITY_HEADERS);
  });
});
