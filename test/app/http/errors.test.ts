import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommitOutcomeUnknownError,
  DatabaseUnavailableError,
  type Database,
} from '../../../app/src/db/database.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { expectError, failingDatabase, startTestApp, type TestApp } from '../../helpers/http-app.js';

// No PostgreSQL here: every request below is refused before it reaches the database, or meets a
// stub Database that fails the way the real one can.

describe('errors: one shape, the right status', () => {
  const db = failingDatabase(() => new DatabaseUnavailableError('no connection available'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
  });

  it('404 ROUTE_NOT_FOUND for an unknown route, without echoing the path', async () => {
    const response = await t.request('/no/such/route?token=abc123');
    const body = await expectError(response, 404, 'ROUTE_NOT_FOUND');
    expect(JSON.stringify(body)).not.toContain('abc123');
  });

  it('405 METHOD_NOT_ALLOWED with Allow for a known path and another method, before the body is read', async () => {
    for (const [path, method, allow] of [
      ['/api/products', 'DELETE', 'GET, HEAD'],
      ['/api/products/7', 'POST', 'GET, HEAD'],
      ['/api/orders', 'GET', 'POST'],
      ['/api/orders/12', 'PUT', 'GET, HEAD'],
      ['/health/live', 'OPTIONS', 'GET, HEAD'],
    ] as const) {
      const response = await t.request(path, {
        method,
        ...(method === 'GET' || method === 'OPTIONS'
          ? {}
          : { headers: { 'content-type': 'text/plain' }, body: 'x' }),
      });
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
      await expectError(response, 405, 'METHOD_NOT_ALLOWED');
    }
    // A path no route has stays a 404, whatever the method.
    await expectError(await t.request('/api/orders/1/lines', { method: 'DELETE' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('413 PAYLOAD_TOO_LARGE for a body over the limit, before any database work', async () => {
    const calls = db.calls;
    const lines = Array.from({ length: 5000 }, (_, i) => ({ productId: i + 1, quantity: 1 }));
    const big = JSON.stringify({ lines });
    expect(big.length).toBeGreaterThan(64 * 1024);
    await expectError(await t.postJson('/api/orders', big), 413, 'PAYLOAD_TOO_LARGE');
    expect(db.calls).toBe(calls);
  });

  it('400 INVALID_JSON for malformed JSON, without echoing it', async () => {
    const response = await t.postJson('/api/orders', '{"lines": [ {"productId": 1, "quantity": s3cr3t-value');
    const body = await expectError(response, 400, 'INVALID_JSON');
    expect(JSON.stringify(body)).not.toContain('s3cr3t');
  });

  it('400 INVALID_JSON for a body that is not UTF-8, before any database work', async () => {
    const calls = db.calls;
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const body = Buffer.concat([
        Buffer.from('{"lines":[{"productId":1,"quantity":1}],"note":"a'),
        Buffer.from(bad),
        Buffer.from('b"}'),
      ]);
      const response = await t.request('/api/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array(body),
      });
      await expectError(response, 400, 'INVALID_JSON');
    }
    expect(db.calls).toBe(calls);
  });

  it('400 INVALID_JSON for an empty JSON body', async () => {
    await expectError(await t.postJson('/api/orders', ''), 400, 'INVALID_JSON');
  });

  it('400 INVALID_JSON for a prototype-poisoning body', async () => {
    const response = await t.postJson(
      '/api/orders',
      '{"lines":[{"productId":1,"quantity":1}],"__proto__":{"x":1}}',
    );
    await expectError(response, 400, 'INVALID_JSON');
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await t.request('/api/orders', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: 'lines=1',
      });
      await expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('400 VALIDATION_FAILED with field details for a body that breaks the schema', async () => {
    const cases: [unknown, string][] = [
      [{}, ''],
      [{ lines: [] }, '/lines'],
      [{ lines: Array.from({ length: 51 }, () => ({ productId: 1, quantity: 1 })) }, '/lines'],
      [{ lines: [{ productId: 1, quantity: 0 }] }, '/lines/0/quantity'],
      [{ lines: [{ productId: 1, quantity: 1001 }] }, '/lines/0/quantity'],
      [{ lines: [{ productId: 1, quantity: 1.5 }] }, '/lines/0/quantity'],
      [{ lines: [{ productId: '1', quantity: 1 }] }, '/lines/0/productId'],
      [{ lines: [{ productId: 0, quantity: 1 }] }, '/lines/0/productId'],
      [{ lines: [{ productId: 1e12, quantity: 1 }] }, '/lines/0/productId'],
      [{ lines: [{ productId: 1, quantity: 1, price: 0 }] }, '/lines/0/price'],
      [{ lines: [{ productId: 1, quantity: 1 }], coupon: 'x' }, '/coupon'],
      [{ lines: [{ productId: 1, quantity: 1 }], note: '' }, '/note'],
      [{ lines: [{ productId: 1, quantity: 1 }], note: 'x'.repeat(501) }, '/note'],
      [{ lines: [{ productId: 1, quantity: 1 }], note: 42 }, '/note'],
      [[1, 2], ''],
      [JSON.stringify('a string'), ''],
      ['null', ''],
    ];
    for (const [payload, path] of cases) {
      const body = await expectError(await t.postJson('/api/orders', payload), 400, 'VALIDATION_FAILED');
      expect(body.error.details, JSON.stringify(payload)).toContainEqual(
        expect.objectContaining({ location: 'body', path }),
      );
    }
  });

  it('400 VALIDATION_FAILED for query parameters and path parameters', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=1.5',
      'limit=0x10',
      'limit=1e1',
      'limit=',
      'x=1',
    ]) {
      const body = await expectError(await t.request(`/api/products?${query}`), 400, 'VALIDATION_FAILED');
      expect(body.error.details?.[0]?.location).toBe('querystring');
    }
    for (const id of ['abc', '0', '-1', '1.5', '2147483648', '99999999999999999999999', '0x10']) {
      const body = await expectError(await t.request(`/api/products/${id}`), 400, 'VALIDATION_FAILED');
      expect(body.error.details?.[0]).toMatchObject({ location: 'params', path: '/id' });
    }
    await expectError(await t.request('/api/orders/abc'), 400, 'VALIDATION_FAILED');
  });

  it('400 VALIDATION_FAILED for a cursor this API did not issue', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, after: -5 })).toString('base64url');
    for (const cursor of ['not base64!', 'Zm9v', forged, 'x'.repeat(201)]) {
      const body = await expectError(
        await t.request(`/api/products?cursor=${encodeURIComponent(cursor)}`),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.error.details?.[0]).toMatchObject({ location: 'querystring', path: '/cursor' });
    }
  });

  it('400 VALIDATION_FAILED for an invalid Idempotency-Key', async () => {
    const lines = [{ productId: 1, quantity: 1 }];
    for (const key of ['a'.repeat(201), 'has space', 'tab\there', 'ünïcode']) {
      const body = await expectError(
        await t.postJson('/api/orders', { lines }, { 'idempotency-key': key }),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.error.details?.[0]).toMatchObject({ location: 'headers', path: '/idempotency-key' });
    }
  });

  it('400 for a malformed percent-encoding in the URL', async () => {
    await expectError(await t.request('/api/products/%E0%A4%A'), 400, 'BAD_REQUEST');
  });

  it('400 in the same shape for bytes the HTTP parser refuses in the URL; no body for HEAD', async () => {
    const exchange = (method: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(t.baseUrl).port), '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => {
          resolve(Buffer.concat(chunks).toString('latin1'));
        });
        socket.write(Buffer.from(`${method} /api/orders/\xff HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'));
      });
    const get = await exchange('GET');
    expect(get).toMatch(/^HTTP\/1\.1 400 /);
    expect(get).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(get.split('\r\n\r\n')[1]).toContain('"code":"BAD_REQUEST"');
    const head = await exchange('HEAD');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  it('431 in the same shape for headers too large for the HTTP parser', async () => {
    const response = await t.request('/api/products', { headers: { 'x-big': 'x'.repeat(20_000) } });
    await expectError(response, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  });

  it('503 DATABASE_UNAVAILABLE with Retry-After when the database is unreachable', async () => {
    const response = await t.request('/api/products/1');
    expect(response.headers.get('retry-after')).toBe('2');
    await expectError(response, 503, 'DATABASE_UNAVAILABLE');
    const order = await t.postJson('/api/orders', { lines: [{ productId: 1, quantity: 1 }] });
    expect(order.headers.get('retry-after')).toBe('2');
    await expectError(order, 503, 'DATABASE_UNAVAILABLE');
  });

  it('echoes a sane X-Request-Id and uses it in the error body; replaces an insane one', async () => {
    const kept = await t.request('/nope', { headers: { 'x-request-id': 'trace-123.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123.abc');
    expect((await expectError(kept, 404, 'ROUTE_NOT_FOUND')).error.requestId).toBe('trace-123.abc');

    const replaced = await t.request('/nope', { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = replaced.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await expectError(replaced, 404, 'ROUTE_NOT_FOUND')).error.requestId).toBe(id);
  });
});

describe('errors: what the database layer can throw', () => {
  it('503 COMMIT_OUTCOME_UNKNOWN with Retry-After when a commit was interrupted', async () => {
    const t = await startTestApp({
      db: failingDatabase(() => new CommitOutcomeUnknownError('connection lost')),
    });
    try {
      const response = await t.postJson(
        '/api/orders',
        { lines: [{ productId: 1, quantity: 1 }] },
        {
          'idempotency-key': 'k-1',
        },
      );
      expect(response.headers.get('retry-after')).toBe('2');
      const body = await expectError(response, 503, 'COMMIT_OUTCOME_UNKNOWN');
      expect(body.error.message).toContain('Idempotency-Key');
    } finally {
      await t.close();
    }
  });

  it('500 INTERNAL_ERROR with a generic message for anything else; the error is logged, not echoed', async () => {
    const logs = captureLogs('info');
    const t = await startTestApp({
      db: failingDatabase(() => new Error('relation "products" does not exist; password=hunter2-hunter2')),
      logger: logs.logger,
    });
    try {
      const response = await t.request('/api/products');
      const body = await expectError(response, 500, 'INTERNAL_ERROR');
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(JSON.stringify(body)).not.toContain('relation');
      const logged = logs.entries().find((e) => e['msg'] === 'request failed');
      expect(logged).toMatchObject({ level: 50, code: 'INTERNAL_ERROR', reqId: body.error.requestId });
      expect(JSON.stringify(logged)).toContain('relation \\"products\\" does not exist');
    } finally {
      await t.close();
    }
  });
});

describe('shutdown', () => {
  it('answers requests that arrive while closing with 503 SHUTTING_DOWN in the same shape', async () => {
    // The first request holds the app open (its database call waits); the second, pipelined on the
    // same connection, is parsed after close() has begun.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const db: Database = {
      read: async () => {
        await gate;
        throw new DatabaseUnavailableError('gone');
      },
      transaction: () => Promise.reject(new Error('unused')),
    };
    const t = await startTestApp({ db });
    const { port } = new URL(t.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise<void>((resolve) => {
      socket.on('close', () => {
        resolve();
      });
    });
    socket.write('GET /api/products/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await Promise.all([closing, ended]);
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 503/);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503/);
    expect(responses[1]).toMatch(/connection: close/i);
    expect(responses[1]).toContain('"code":"SHUTTING_DOWN"');
  });
});
