/**
 * The lost-write check: every order the API acknowledged with 2xx must be in the database exactly
 * once, under the id it was acknowledged with and the Idempotency-Key it was sent with.
 */
import type { AcknowledgedWrite } from './records.js';

export interface OrderRow {
  id: string;
  idempotencyKey: string | null;
}

export interface WriteCheck {
  acknowledged: number;
  /** Acknowledged and found once, with the same id and key. */
  confirmed: number;
  /** Acknowledged, but no row has its key (or its id). */
  lost: number;
  /** More than one row for a key, or one id acknowledged for different keys. */
  duplicated: number;
  /** A row has the key but another id than acknowledged, or the id holds another key. */
  mismatched: number;
  /** A few examples (ids and keys only). */
  problems: string[];
}

export function checkWrites(acked: readonly AcknowledgedWrite[], rows: readonly OrderRow[]): WriteCheck {
  const byKey = new Map<string, OrderRow[]>();
  const byId = new Map<string, OrderRow>();
  for (const row of rows) {
    byId.set(row.id, row);
    if (row.idempotencyKey !== null) {
      const list = byKey.get(row.idempotencyKey) ?? [];
      list.push(row);
      byKey.set(row.idempotencyKey, list);
    }
  }
  const keysPerId = new Map<string, Set<string>>();
  for (const w of acked) {
    const set = keysPerId.get(w.id) ?? new Set<string>();
    set.add(w.idempotencyKey);
    keysPerId.set(w.id, set);
  }
  const result: WriteCheck = {
    acknowledged: acked.length,
    confirmed: 0,
    lost: 0,
    duplicated: 0,
    mismatched: 0,
    problems: [],
  };
  const problem = (text: string) => {
    if (result.problems.length < 20) result.problems.push(text);
  };
  const seenKeys = new Set<string>();
  for (const w of acked) {
    if (seenKeys.has(w.idempotencyKey)) continue; // an acknowledged replay of the same key is one write
    seenKeys.add(w.idempotencyKey);
    const found = byKey.get(w.idempotencyKey) ?? [];
    const idRow = byId.get(w.id);
    if (found.length === 0 && idRow === undefined) {
      result.lost++;
      problem(`lost: order ${w.id} (key ${w.idempotencyKey}) is not in the database`);
    } else if (found.length > 1 || (keysPerId.get(w.id)?.size ?? 0) > 1) {
      result.duplicated++;
      problem(
        `duplicated: key ${w.idempotencyKey} has ${found.length} rows; id ${w.id} acknowledged for ${keysPerId.get(w.id)?.size ?? 0} keys`,
      );
    } else if (found[0]?.id !== w.id || idRow?.idempotencyKey !== w.idempotencyKey) {
      result.mismatched++;
      problem(
        `mismatched: key ${w.idempotencyKey} acknowledged as order ${w.id}, database has ${found[0]?.id ?? 'none'}`,
      );
    } else {
      result.confirmed++;
    }
  }
  return result;
}

/** Reads the rows for the acknowledged writes (as the master user), in one query. */
export async function fetchOrderRows(
  client: {
    query(
      text: string,
      values: unknown[],
    ): Promise<{ rows: { id: string; idempotency_key: string | null }[] }>;
  },
  schema: string,
  acked: readonly AcknowledgedWrite[],
): Promise<OrderRow[]> {
  if (acked.length === 0) return [];
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unexpected schema name ${schema}`);
  const { rows } = await client.query(
    `SELECT id::text AS id, idempotency_key FROM "${schema}".orders WHERE idempotency_key = ANY($1::text[]) OR id = ANY($2::bigint[])`,
    [acked.map((w) => w.idempotencyKey), acked.map((w) => w.id)],
  );
  return rows.map((r) => ({ id: r.id, idempotencyKey: r.idempotency_key }));
}
