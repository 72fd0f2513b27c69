/** The drill's counts over its scheduled requests. */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../proof/load/index.js';
import { tally } from '../../../proof/drill/tally.js';

const record = (
  seq: number,
  name: string,
  outcome: RequestRecord['outcome'],
  extra: Partial<RequestRecord> = {},
) => ({
  seq,
  name,
  target: outcome === 'dropped' ? -1 : 0,
  intendedMs: seq * 10,
  sendLagMs: 0,
  latencyMs: outcome === 'dropped' ? null : 5,
  outcome,
  ...extra,
});

describe('tally', () => {
  it('counts answered, failed by reason and request, and dropped late or at the in-flight cap', () => {
    const counts = tally([
      record(1, 'list-products', 'ok'),
      record(2, 'create-order', 'failed', { status: 503, reason: '503' }),
      record(3, 'create-order', 'failed', { reason: 'timeout', latencyMs: 2000 }),
      record(4, 'list-products', 'dropped', { reason: 'late' }),
      record(5, 'get-product', 'dropped', { reason: 'in-flight cap' }),
    ]);
    expect(counts).toMatchObject({
      ok: 1,
      failed: 2,
      dropped: 2,
      droppedLate: 1,
      droppedInFlightCap: 1,
      failedByReason: { '503': 1, timeout: 1 },
      failedByRequest: { 'create-order': 2 },
      byRequest: { 'list-products': 2, 'create-order': 2, 'get-product': 1 },
    });
    // Every request sent has a latency, failed ones too; dropped ones have none.
    expect(counts.latency.totalCount).toBe(3);
  });
});
