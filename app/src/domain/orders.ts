import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';

export interface OrderLineInput {
  productId: number;
  quantity: number;
}

export interface OrderLine {
  lineNo: number;
  productId: number;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
}

export interface Order {
  id: number;
  totalCents: number;
  createdAt: string;
  /** Absent when the order was placed without one. */
  note?: string;
  lines: OrderLine[];
}

export type CreateOrderResult =
  /** A new order was written. */
  | { kind: 'created'; order: Order }
  /** The Idempotency-Key was used before with the same request: this is that order, nothing was written. */
  | { kind: 'replayed'; order: Order }
  /** The Idempotency-Key was used before with a different request: nothing was written. */
  | { kind: 'key-reused' }
  /** Some lines name products that do not exist: nothing was written. */
  | { kind: 'unknown-products'; productIds: number[] };

/**
 * Fingerprint of the request an Idempotency-Key is bound to. It is computed from the validated
 * body rebuilt in a fixed form (key order, whitespace and unknown formatting do not matter; line
 * order does, since it is kept as `line_no`). The note is compared exactly as stored; without one
 * the form is the one used before notes existed, so keys stored then still match their retries.
 */
export function requestHash(lines: readonly OrderLineInput[], note?: string): string {
  const canonical = JSON.stringify({
    v: 1,
    lines: lines.map((l) => [l.productId, l.quantity]),
    ...(note !== undefined && { note }),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Creates an order. Run it inside ONE `Database.transaction` at READ COMMITTED (PostgreSQL's
 * default): it may be retried as a whole when the connection fails before COMMIT, which is safe
 * because it has no effect outside the transaction.
 *
 * Idempotency does not rely on "look, then insert" (two requests can both look and find nothing).
 * The unique constraint on `orders.idempotency_key` decides: `INSERT ... ON CONFLICT DO NOTHING`
 * waits for a concurrent transaction holding the same key, and inserts nothing if that one commits.
 * The loser then reads the winner's order in a fresh statement, which READ COMMITTED lets it see.
 * The first SELECT is only a shortcut for plain replays (no product lookup, no wasted identity).
 */
export async function createOrder(
  q: Queryable,
  input: {
    lines: readonly OrderLineInput[];
    note?: string | undefined;
    idempotencyKey?: string | undefined;
    /** A key older than this is forgotten: its reuse creates a new order. */
    keyRetentionHours: number;
  },
): Promise<CreateOrderResult> {
  const { lines, note, idempotencyKey, keyRetentionHours } = input;
  const hash = idempotencyKey === undefined ? null : requestHash(lines, note);

  if (idempotencyKey !== undefined) {
    const previous = await findByIdempotencyKey(q, idempotencyKey, keyRetentionHours);
    if (previous?.expired) await forgetKey(q, previous.id, idempotencyKey);
    else if (previous) return await replayOrReject(q, previous, hash);
  }

  // Prices as of this transaction; KEY SHARE keeps these products from being deleted before COMMIT
  // without blocking price updates (each line keeps the price it was sold at).
  const productIds = [...new Set(lines.map((l) => l.productId))];
  const { rows: products } = await q.query<{ id: number; price_cents: number }>(
    'SELECT id, price_cents FROM products WHERE id = ANY($1::int[]) FOR KEY SHARE',
    [productIds],
  );
  const prices = new Map(products.map((p) => [p.id, p.price_cents]));
  const unknown = productIds.filter((id) => !prices.has(id));
  if (unknown.length > 0) return { kind: 'unknown-products', productIds: unknown };

  const unitPrices = lines.map((l) => prices.get(l.productId) ?? 0);
  const totalCents = lines.reduce((sum, l, i) => sum + l.quantity * (unitPrices[i] ?? 0), 0);

  const inserted = await q.query<{ id: string }>(
    `INSERT INTO orders (idempotency_key, request_hash, total_cents, note)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    [idempotencyKey ?? null, hash, totalCents, note ?? null],
  );
  const orderRow = inserted.rows[0];
  if (!orderRow) {
    // Another transaction committed an order with this key while we were working.
    const winner =
      idempotencyKey === undefined
        ? undefined
        : await findByIdempotencyKey(q, idempotencyKey, keyRetentionHours);
    if (!winner)
      throw new Error('An order insert conflicted on its idempotency key, but no such order exists');
    return await replayOrReject(q, winner, hash);
  }

  await q.query(
    `INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_cents)
     SELECT $1, line.line_no, line.product_id, line.quantity, line.unit_price_cents
       FROM unnest($2::int[], $3::int[], $4::int[]) WITH ORDINALITY
            AS line(product_id, quantity, unit_price_cents, line_no)`,
    [orderRow.id, lines.map((l) => l.productId), lines.map((l) => l.quantity), unitPrices],
  );

  const order = await findOrder(q, Number(orderRow.id));
  if (!order) throw new Error('An order just inserted could not be read back');
  return { kind: 'created', order };
}

export async function findOrder(q: Queryable, id: number): Promise<Order | undefined> {
  const { rows } = await q.query<{
    id: string;
    total_cents: string;
    created_at: Date;
    note: string | null;
  }>('SELECT id, total_cents, created_at, note FROM orders WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  const { rows: lines } = await q.query<{
    line_no: number;
    product_id: number;
    quantity: number;
    unit_price_cents: number;
  }>(
    `SELECT line_no, product_id, quantity, unit_price_cents
       FROM order_lines WHERE order_id = $1 ORDER BY line_no`,
    [id],
  );
  return {
    id: Number(row.id),
    totalCents: Number(row.total_cents),
    createdAt: row.created_at.toISOString(),
    ...(row.note !== null && { note: row.note }),
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      productId: l.product_id,
      quantity: l.quantity,
      unitPriceCents: l.unit_price_cents,
      lineTotalCents: l.quantity * l.unit_price_cents,
    })),
  };
}

interface KeyedOrder {
  id: number;
  requestHash: string;
  /** Older than the retention: the key no longer binds, whether or not the sweep has cleared it yet. */
  expired: boolean;
}

async function findByIdempotencyKey(
  q: Queryable,
  key: string,
  retentionHours: number,
): Promise<KeyedOrder | undefined> {
  const { rows } = await q.query<{ id: string; request_hash: string; expired: boolean }>(
    `SELECT id, request_hash, created_at < now() - make_interval(hours => $2) AS expired
       FROM orders WHERE idempotency_key = $1`,
    [key, retentionHours],
  );
  const row = rows[0];
  return row ? { id: Number(row.id), requestHash: row.request_hash, expired: row.expired } : undefined;
}

/**
 * Clears an expired key from its order so the key can be used again. A concurrent request with the
 * same key waits on the row lock, then matches nothing, and meets this one at the unique constraint.
 */
async function forgetKey(q: Queryable, orderId: number, key: string): Promise<void> {
  await q.query(
    'UPDATE orders SET idempotency_key = NULL, request_hash = NULL WHERE id = $1 AND idempotency_key = $2',
    [orderId, key],
  );
}

/**
 * Clears the Idempotency-Keys of orders older than the retention, oldest first, at most `batch`
 * (rows another transaction holds are skipped, not waited for). How many were cleared.
 */
export async function forgetExpiredKeys(
  q: Queryable,
  retentionHours: number,
  batch: number,
): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE orders SET idempotency_key = NULL, request_hash = NULL
      WHERE id IN (SELECT id FROM orders
                    WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(hours => $1)
                    ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [retentionHours, batch],
  );
  return rowCount ?? 0;
}

async function replayOrReject(
  q: Queryable,
  previous: KeyedOrder,
  hash: string | null,
): Promise<CreateOrderResult> {
  if (previous.requestHash !== hash) return { kind: 'key-reused' };
  const order = await findOrder(q, previous.id);
  if (!order) throw new Error('An order found by its idempotency key could not be read back');
  return { kind: 'replayed', order };
}
