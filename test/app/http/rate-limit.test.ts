import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../../app/src/domain/orders.js';
import { expectError, startTestApp, type TestApp } from '../../helpers/http-app.js';
import { startTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

const LIMIT = 3;
const order = { lines: [{ productId: 1, quantity: 1 }] };

describe('write rate limit', () => {
  let pg: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    pg = await startTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await pg.stop();
  });

  /** Each app counts on its own, so every test starts with a full allowance. */
  async function app(options: { writesPerMinute?: number; trustProxy?: boolean | number } = {}) {
    const started = await startTestApp({ db: pg.db, ...options });
    apps.push(started);
    return started;
  }

  async function orderCount(): Promise<number> {
    const [row] = await pg.adminQuery<{ count: string }>('SELECT count(*) FROM app.orders');
    return Number(row?.count);
  }

  it(`answers 429 RATE_LIMITED with Retry-After after ${LIMIT} writes, and writes nothing`, async () => {
    const t = await app({ writesPerMinute: LIMIT });
    for (let i = 1; i <= LIMIT; i++) {
      const response = await t.postJson('/api/orders', order);
      expect(response.status).toBe(201);
      expect(response.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - i));
    }
    const before = await orderCount();

    const limited = await t.postJson('/api/orders', order);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(limited.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
    expect(limited.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await expectError(limited, 429, 'RATE_LIMITED');
    expect(body.error.requestId).toBe(limited.headers.get('x-request-id'));

    // Refused before the body is read: a malformed one gets the same answer.
    await expectError(await t.postJson('/api/orders', '{"lines":'), 429, 'RATE_LIMITED');
    expect(await orderCount()).toBe(before);
  });

  it('never limits reads, probes or metrics, even once writes are limited', async () => {
    const t = await app({ writesPerMinute: 1 });
    const created = (await (await t.postJson('/api/orders', order)).json()) as Order;
    await expectError(await t.postJson('/api/orders', order), 429, 'RATE_LIMITED');
    for (let i = 0; i < 5 * LIMIT; i++) {
      for (const path of [
        '/api/products',
        '/api/products/1',
        `/api/orders/${created.id}`,
        '/health/live',
        '/health/ready',
        '/metrics',
      ]) {
        const response = await t.request(path);
        expect(response.status, path).toBe(200);
        expect(response.headers.get('x-ratelimit-limit'), path).toBeNull();
      }
    }
  });

  it('is off without a configured limit, and with 0', async () => {
    for (const t of [await app(), await app({ writesPerMinute: 0 })]) {
      for (let i = 0; i < LIMIT + 2; i++) {
        const response = await t.postJson('/api/orders', order);
        expect(response.status).toBe(201);
        expect(response.headers.get('x-ratelimit-limit')).toBeNull();
      }
    }
  });

  it('counts per client: behind one proxy (trustProxy 1) the address the proxy appended', async () => {
    const t = await app({ writesPerMinute: 2, trustProxy: 1 });
    // What a load balancer forwards: whatever the client sent, then the address it saw.
    const from = (client: string, forged?: string) => ({
      'x-forwarded-for': forged === undefined ? client : `${forged}, ${client}`,
    });
    for (let i = 0; i < 2; i++) {
      expect((await t.postJson('/api/orders', order, from('203.0.113.1'))).status).toBe(201);
    }
    await expectError(await t.postJson('/api/orders', order, from('203.0.113.1')), 429, 'RATE_LIMITED');
    // A forged first entry does not make the same client someone else.
    await expectError(
      await t.postJson('/api/orders', order, from('203.0.113.1', '198.51.100.7')),
      429,
      'RATE_LIMITED',
    );
    // Another client has its own allowance.
    expect((await t.postJson('/api/orders', order, from('203.0.113.2'))).status).toBe(201);
  });

  it('without trustProxy, X-Forwarded-For is ignored: it cannot buy a fresh allowance', async () => {
    const t = await app({ writesPerMinute: 2 });
    for (const client of ['203.0.113.1', '203.0.113.2']) {
      expect((await t.postJson('/api/orders', order, { 'x-forwarded-for': client })).status).toBe(201);
    }
    await expectError(
      await t.postJson('/api/orders', order, { 'x-forwarded-for': '203.0.113.3' }),
      429,
      'RATE_LIMITED',
    );
  });
});
