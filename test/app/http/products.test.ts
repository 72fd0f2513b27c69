import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product, ProductPage } from '../../../app/src/domain/products.js';
import { expectError, startTestApp, type TestApp } from '../../helpers/http-app.js';
import { startTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

describe('products', () => {
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

  async function page(query: string): Promise<ProductPage> {
    const response = await t.request(`/api/products${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ProductPage;
  }

  it('walks every seeded product exactly once, in id order, following nextCursor', async () => {
    const seen: Product[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=7' : `?limit=7&cursor=${cursor}`;
      const result = await page(query);
      expect(result.items.length).toBeLessThanOrEqual(7);
      seen.push(...result.items);
      cursor = result.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);

    const [row] = await pg.adminQuery<{ count: string }>('SELECT count(*) FROM app.products');
    expect(Number(row?.count)).toBe(50);
    expect(seen).toHaveLength(50);
    expect(new Set(seen.map((p) => p.id)).size).toBe(50);
    expect(seen.map((p) => p.id)).toEqual([...seen.map((p) => p.id)].sort((a, b) => a - b));
    expect(pages).toBe(Math.ceil(50 / 7));
  });

  it('defaults to 20 items, allows up to 100, and has no next page when everything fits', async () => {
    const first = await page('');
    expect(first.items).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));

    const all = await page('?limit=100');
    expect(all.items).toHaveLength(50);
    expect(all.nextCursor).toBeNull();

    const exact = await page('?limit=50');
    expect(exact.items).toHaveLength(50);
    expect(exact.nextCursor).toBeNull();
  });

  it('returns products in the documented shape', async () => {
    const { items } = await page('?limit=1');
    expect(items[0]).toEqual({
      id: 1,
      sku: 'SKU-0001',
      name: expect.any(String) as string,
      priceCents: expect.any(Number) as number,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
    });
  });

  it('rejects a cursor it did not issue and a limit out of range with 400', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, after: 'x' })).toString('base64url');
    await expectError(await t.request(`/api/products?cursor=${forged}`), 400, 'VALIDATION_FAILED');
    await expectError(await t.request('/api/products?cursor=AAAA'), 400, 'VALIDATION_FAILED');
    await expectError(await t.request('/api/products?limit=101'), 400, 'VALIDATION_FAILED');
    await expectError(await t.request('/api/products?limit=0'), 400, 'VALIDATION_FAILED');
  });

  it('GET /api/products/:id returns one product, 404 when absent', async () => {
    const response = await t.request('/api/products/7');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 7, sku: 'SKU-0007' });

    const missing = await expectError(await t.request('/api/products/999'), 404, 'PRODUCT_NOT_FOUND');
    expect(missing.error.message).toContain('999');
    await expectError(await t.request('/api/products/2147483647'), 404, 'PRODUCT_NOT_FOUND');
    await expectError(await t.request('/api/products/2147483648'), 400, 'VALIDATION_FAILED');
  });
});
