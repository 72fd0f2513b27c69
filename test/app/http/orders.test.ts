import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder, forgetExpiredKeys, requestHash, type Order } from '../../../app/src/domain/orders.js';
import type { Product } from '../../../app/src/domain/products.js';
import { expectError, startTestApp, type TestApp } from '../../helpers/http-app.js';
import { startTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

describe('orders', () => {
  let pg: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    pg = await startTestDatabase();
    t = await startTestApp({ db: pg.db });
  });
  afterAll(async () => {
    await t.close();
    await pg.stop();
  });

  async function counts(): Promise<{ orders: number; lines: number }> {
    const [row] = await pg.adminQuery<{ orders: string; lines: string }>(
      'SELECT (SELECT count(*) FROM app.orders) AS orders, (SELECT count(*) FROM app.order_lines) AS lines',
    );
    return { orders: Number(row?.orders), lines: Number(row?.lines) };
  }

  async function product(id: number): Promise<Product> {
    return (await (await t.request(`/api/products/${id}`)).json()) as Product;
  }

  it('creates an order inside one transaction, copying unit prices, and reads it back', async () => {
    const [p3, p5] = [await product(3), await product(5)];
    const response = await t.postJson('/api/orders', {
      lines: [
        { productId: 3, quantity: 2 },
        { productId: 5, quantity: 1 },
      ],
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    const order = (await response.json()) as Order;
    expect(response.headers.get('location')).toBe(`/api/orders/${order.id}`);
    expect(order).toEqual({
      id: expect.any(Number) as number,
      totalCents: 2 * p3.priceCents + p5.priceCents,
      createdAt: expect.any(String) as string,
      lines: [
        {
          lineNo: 1,
          productId: 3,
          quantity: 2,
          unitPriceCents: p3.priceCents,
          lineTotalCents: 2 * p3.priceCents,
        },
        {
          lineNo: 2,
          productId: 5,
          quantity: 1,
          unitPriceCents: p5.priceCents,
          lineTotalCents: p5.priceCents,
        },
      ],
    });

    const read = await t.request(`/api/orders/${order.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(order);
  });

  it('stores an optional note verbatim and returns it from POST and GET; no note, no field', async () => {
    for (const note of [
      'Leave at the door, 2nd floor',
      '  spaces kept  \n\ttabs and newlines too ',
      "'; DROP TABLE orders; --",
      'שלום 👩🏽‍💻 e\u0301 \u202Eevil\u202C \uFEFF \u{10FFFF}',
      '😀'.repeat(500),
    ]) {
      const response = await t.postJson('/api/orders', { lines: [{ productId: 1, quantity: 1 }], note });
      expect(response.status).toBe(201);
      const created = (await response.json()) as Order;
      expect(created.note).toBe(note);
      const read = (await (await t.request(`/api/orders/${created.id}`)).json()) as Order;
      expect(read.note).toBe(note);
      expect(read).toEqual(created);
    }
    const plain = (await (
      await t.postJson('/api/orders', { lines: [{ productId: 1, quantity: 1 }] })
    ).json()) as Order;
    expect('note' in plain).toBe(false);
  });

  it('refuses a note PostgreSQL text cannot hold exactly (U+0000, unpaired surrogates) with 400 naming it', async () => {
    const before = await counts();
    for (const [text, message] of [
      ['before\u0000after', /U\+0000/],
      ['\u0000', /U\+0000/],
      ['lone \ud800 high', /well-formed Unicode/],
      ['\udc00 lone low', /well-formed Unicode/],
      ['reversed \udc00\ud800 pair', /well-formed Unicode/],
    ] as const) {
      const body = await expectError(
        await t.postJson('/api/orders', { lines: [{ productId: 1, quantity: 1 }], note: text }),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.error.details).toEqual([
        { location: 'body', path: '/note', message: expect.stringMatching(message) as string },
      ]);
    }
    expect(await counts()).toEqual(before);
  });

  it('binds an Idempotency-Key to the note too; a body without a note hashes as before notes existed', async () => {
    // The form stored for keys used before the note column: retries of those requests still match.
    expect(
      requestHash([
        { productId: 3, quantity: 2 },
        { productId: 5, quantity: 1 },
      ]),
    ).toBe('84bc63613e7d8524f1f879f62a9a2aca3fe9af5849e5568c9878c38b7aaa3ccc');
    const lines = [{ productId: 7, quantity: 1 }];
    expect(requestHash(lines, 'a')).not.toBe(requestHash(lines));
    expect(requestHash(lines, 'a')).not.toBe(requestHash(lines, 'a '));

    const key = randomUUID();
    const first = await t.postJson('/api/orders', { lines, note: 'ring twice' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    for (const other of [{ lines }, { lines, note: 'ring once' }, { lines, note: 'ring twice ' }]) {
      await expectError(
        await t.postJson('/api/orders', other, { 'idempotency-key': key }),
        422,
        'IDEMPOTENCY_KEY_REUSED',
      );
    }
    const again = await t.postJson('/api/orders', { note: 'ring twice', lines }, { 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
  });

  it('GET /api/orders/:id is 404 for an order that does not exist', async () => {
    await expectError(await t.request('/api/orders/987654321'), 404, 'ORDER_NOT_FOUND');
  });

  it('without an Idempotency-Key, each request creates an order', async () => {
    const before = await counts();
    const body = { lines: [{ productId: 1, quantity: 1 }] };
    const a = (await (await t.postJson('/api/orders', body)).json()) as Order;
    const b = (await (await t.postJson('/api/orders', body)).json()) as Order;
    expect(a.id).not.toBe(b.id);
    expect(await counts()).toEqual({ orders: before.orders + 2, lines: before.lines + 2 });
  });

  it('replays the same order for the same key and body, creating nothing the second time', async () => {
    const key = randomUUID();
    const body = { lines: [{ productId: 10, quantity: 3 }] };
    const first = await t.postJson('/api/orders', body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const created = (await first.json()) as Order;
    const after = await counts();

    // Formatting and key order are not part of the request's identity.
    const again = await t.postJson('/api/orders', '{ "lines": [ { "quantity": 3, "productId": 10 } ] }', {
      'idempotency-key': key,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/orders/${created.id}`);
    expect(await again.json()).toEqual(created);
    expect(await counts()).toEqual(after);
  });

  it('20 concurrent identical keyed requests create exactly one order', async () => {
    const key = randomUUID();
    const body = {
      lines: [
        { productId: 20, quantity: 1 },
        { productId: 21, quantity: 4 },
      ],
    };
    const before = await counts();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => t.postJson('/api/orders', body, { 'idempotency-key': key })),
    );
    const orders = (await Promise.all(responses.map((r) => r.json()))) as Order[];

    expect(responses.map((r) => r.status)).toEqual(Array<number>(20).fill(201));
    expect(new Set(orders.map((o) => o.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const order of orders) expect(order).toEqual(orders[0]);
    expect(await counts()).toEqual({ orders: before.orders + 1, lines: before.lines + 2 });
    const rows = await pg.adminQuery('SELECT id FROM app.orders WHERE idempotency_key = $1', [key]);
    expect(rows).toHaveLength(1);
  });

  it('refuses the same key with a different body (422), alone or concurrently, and stores nothing new', async () => {
    const key = randomUUID();
    const first = await t.postJson(
      '/api/orders',
      { lines: [{ productId: 2, quantity: 1 }] },
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    const before = await counts();

    for (const different of [
      { lines: [{ productId: 2, quantity: 2 }] },
      { lines: [{ productId: 3, quantity: 1 }] },
      {
        lines: [
          { productId: 2, quantity: 1 },
          { productId: 2, quantity: 1 },
        ],
      },
    ]) {
      const response = await t.postJson('/api/orders', different, { 'idempotency-key': key });
      await expectError(response, 422, 'IDEMPOTENCY_KEY_REUSED');
    }

    // Two different bodies racing for a fresh key: one wins, the other is told the key is taken.
    const raced = randomUUID();
    const [a, b] = await Promise.all([
      t.postJson('/api/orders', { lines: [{ productId: 4, quantity: 1 }] }, { 'idempotency-key': raced }),
      t.postJson('/api/orders', { lines: [{ productId: 4, quantity: 9 }] }, { 'idempotency-key': raced }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    await expectError(a.status === 422 ? a : b, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await counts()).toEqual({ orders: before.orders + 1, lines: before.lines + 1 });
  });

  it('refuses unknown products with 422 naming them, and stores nothing (the key stays unused)', async () => {
    const before = await counts();
    const key = randomUUID();
    const response = await t.postJson(
      '/api/orders',
      {
        lines: [
          { productId: 1, quantity: 1 },
          { productId: 9999, quantity: 1 },
          { productId: 8888, quantity: 2 },
        ],
      },
      { 'idempotency-key': key },
    );
    const body = await expectError(response, 422, 'UNKNOWN_PRODUCTS');
    expect(body.error.message).toContain('9999');
    expect(body.error.message).toContain('8888');
    expect(body.error.details).toEqual([
      { location: 'body', path: '/lines/1/productId', message: 'product 9999 does not exist' },
      { location: 'body', path: '/lines/2/productId', message: 'product 8888 does not exist' },
    ]);
    expect(await counts()).toEqual(before);

    // Nothing was bound to the key: it can still be used for a valid order.
    const retry = await t.postJson(
      '/api/orders',
      { lines: [{ productId: 1, quantity: 1 }] },
      { 'idempotency-key': key },
    );
    expect(retry.status).toBe(201);
  });

  it('a bad request never reaches the database and never stores anything', async () => {
    const before = await counts();
    await expectError(
      await t.postJson('/api/orders', { lines: [{ productId: 1, quantity: 0 }] }),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(await t.postJson('/api/orders', '{"lines":'), 400, 'INVALID_JSON');
    await expectError(
      await t.postJson(
        '/api/orders',
        { lines: [{ productId: 1, quantity: 1 }] },
        { 'idempotency-key': 'a b' },
      ),
      400,
      'VALIDATION_FAILED',
    );
    expect(await counts()).toEqual(before);
  });

  describe('Idempotency-Key retention (24 h by default)', () => {
    const age = (id: number, hours: number) =>
      pg.adminQuery('UPDATE app.orders SET created_at = now() - make_interval(hours => $2) WHERE id = $1', [
        id,
        hours,
      ]);
    const post = (key: string, quantity = 1) =>
      t.postJson('/api/orders', { lines: [{ productId: 2, quantity }] }, { 'idempotency-key': key });

    it('a key inside the retention still replays; past it, the same key creates a new order', async () => {
      const key = randomUUID();
      const first = (await (await post(key)).json()) as Order;
      await age(first.id, 23);
      const replay = await post(key);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replay.json()) as Order).id).toBe(first.id);

      await age(first.id, 25);
      const before = await counts();
      // a different body is no longer a reuse either: the old binding is gone
      const fresh = await post(key, 3);
      expect(fresh.status).toBe(201);
      expect(fresh.headers.get('idempotent-replayed')).toBeNull();
      const second = (await fresh.json()) as Order;
      expect(second.id).not.toBe(first.id);
      expect(await counts()).toEqual({ orders: before.orders + 1, lines: before.lines + 1 });
      // the new order holds the key now, and the old one (kept) no longer does
      const again = await post(key, 3);
      expect(((await again.json()) as Order).id).toBe(second.id);
      const [old] = await pg.adminQuery<{ idempotency_key: string | null }>(
        'SELECT idempotency_key FROM app.orders WHERE id = $1',
        [first.id],
      );
      expect(old?.idempotency_key).toBeNull();
    });

    it('the sweep clears expired keys oldest first, in batches, and keeps the orders', async () => {
      const keys = [randomUUID(), randomUUID(), randomUUID()];
      const ids: number[] = [];
      for (const key of keys) ids.push(((await (await post(key)).json()) as Order).id);
      await age(ids[0] ?? 0, 50);
      await age(ids[1] ?? 0, 49);
      const keyOf = async (id: number) =>
        (
          await pg.adminQuery<{ idempotency_key: string | null }>(
            'SELECT idempotency_key FROM app.orders WHERE id = $1',
            [id],
          )
        )[0]?.idempotency_key;
      // other tests' orders may have expired keys too: sweep until only ours are left to check
      while ((await pg.db.transaction((q) => forgetExpiredKeys(q, 24, 1))) > 0) {
        /* one batch of one at a time */
      }
      expect(await keyOf(ids[0] ?? 0)).toBeNull();
      expect(await keyOf(ids[1] ?? 0)).toBeNull();
      expect(await keyOf(ids[2] ?? 0)).toBe(keys[2]);
      expect(await pg.db.transaction((q) => forgetExpiredKeys(q, 24, 100))).toBe(0);
    });
  });

  describe('the race the unique constraint settles (two transactions, interleaved by hand)', () => {
    async function lockWaiters(): Promise<number> {
      const [row] = await pg.adminQuery<{ count: string }>(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      );
      return Number(row?.count);
    }

    async function interleave(outcomeOfFirst: 'COMMIT' | 'ROLLBACK') {
      const key = randomUUID();
      const lines = [{ productId: 6, quantity: 2 }];
      const first = await pg.db.pool.connect();
      const second = await pg.db.pool.connect();
      try {
        await first.query('BEGIN');
        const a = await createOrder(first, { lines, idempotencyKey: key, keyRetentionHours: 24 });
        expect(a.kind).toBe('created');

        // The second transaction finds no committed order for the key, so it goes on to insert,
        // and its INSERT ... ON CONFLICT waits for the first transaction to finish.
        await second.query('BEGIN');
        const pending = createOrder(second, { lines, idempotencyKey: key, keyRetentionHours: 24 });
        await expect.poll(lockWaiters, { timeout: 5_000, interval: 20 }).toBe(1);

        await first.query(outcomeOfFirst);
        const b = await pending;
        await second.query('COMMIT');
        return { a, b };
      } finally {
        first.release();
        second.release();
      }
    }

    it('when the first commits, the second replays its order', async () => {
      const before = await counts();
      const { a, b } = await interleave('COMMIT');
      expect(b.kind).toBe('replayed');
      if (a.kind === 'created' && b.kind === 'replayed') expect(b.order).toEqual(a.order);
      expect(await counts()).toEqual({ orders: before.orders + 1, lines: before.lines + 1 });
    });

    it('when the first rolls back, the second creates the order', async () => {
      const before = await counts();
      const { b } = await interleave('ROLLBACK');
      expect(b.kind).toBe('created');
      expect(await counts()).toEqual({ orders: before.orders + 1, lines: before.lines + 1 });
    });
  });
});
