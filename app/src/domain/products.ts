import type { Queryable } from '../db/database.js';

export interface Product {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  createdAt: string;
}

export interface ProductPage {
  items: Product[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** Largest value of a PostgreSQL `integer`, the type of `products.id`. */
export const MAX_PRODUCT_ID = 2_147_483_647;

interface ProductRow {
  id: number;
  sku: string;
  name: string;
  price_cents: number;
  created_at: Date;
}

const COLUMNS = 'id, sku, name, price_cents, created_at';

/**
 * Keyset pagination over `id`: each page starts after the last id of the previous one, so a page
 * costs one index range scan however deep the client has walked, and rows inserted meanwhile
 * neither repeat nor shift the pages that follow.
 */
export async function listProducts(
  q: Queryable,
  options: { limit: number; afterId: number },
): Promise<ProductPage> {
  // One row more than asked tells whether another page exists without a COUNT.
  const { rows } = await q.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products WHERE id > $1 ORDER BY id LIMIT $2`,
    [options.afterId, options.limit + 1],
  );
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map(toProduct),
    nextCursor: rows.length > options.limit && last ? encodeCursor({ afterId: last.id }) : null,
  };
}

export async function findProduct(q: Queryable, id: number): Promise<Product | undefined> {
  const { rows } = await q.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
  const row = rows[0];
  return row ? toProduct(row) : undefined;
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    priceCents: row.price_cents,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Cursors are opaque to clients: base64url of a small JSON document. Versioned, so the ordering
 * can change later while old cursors are still recognised (or cleanly rejected).
 */
export interface Cursor {
  afterId: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, after: cursor.afterId }), 'utf8').toString('base64url');
}

/** `undefined` for anything this API did not produce. */
export function decodeCursor(text: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return undefined;
  const { v, after, ...rest } = decoded as Record<string, unknown>;
  if (v !== 1 || Object.keys(rest).length > 0) return undefined;
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 1 || after > MAX_PRODUCT_ID)
    return undefined;
  return { afterId: after };
}
