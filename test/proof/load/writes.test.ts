import { describe, expect, it } from 'vitest';
import type { AcknowledgedWrite } from '../../../proof/load/records.js';
import { checkWrites } from '../../../proof/load/writes.js';
import { scanForPasswords } from '../../../proof/drill/leaks.js';
import { parseTaskMetrics } from '../../../proof/drill/prometheus.js';
import { rotationTimesMs } from '../../../proof/drill/schedule.js';

const ack = (id: string, key: string): AcknowledgedWrite => ({
  id,
  idempotencyKey: key,
  target: 0,
  intendedMs: 0,
});

describe('lost-write check', () => {
  it('confirms writes found once with their id and key', () => {
    const result = checkWrites(
      [ack('1', 'k1'), ack('2', 'k2')],
      [
        { id: '1', idempotencyKey: 'k1' },
        { id: '2', idempotencyKey: 'k2' },
        { id: '3', idempotencyKey: 'other' },
      ],
    );
    expect(result).toMatchObject({ acknowledged: 2, confirmed: 2, lost: 0, duplicated: 0, mismatched: 0 });
  });

  it('counts a missing write as lost', () => {
    const result = checkWrites([ack('1', 'k1'), ack('2', 'k2')], [{ id: '1', idempotencyKey: 'k1' }]);
    expect(result).toMatchObject({ confirmed: 1, lost: 1 });
    expect(result.problems[0]).toMatch(/lost: order 2/);
  });

  it('counts two rows for one key, or one id for two keys, as duplicated', () => {
    expect(
      checkWrites(
        [ack('1', 'k1')],
        [
          { id: '1', idempotencyKey: 'k1' },
          { id: '9', idempotencyKey: 'k1' },
        ],
      ).duplicated,
    ).toBe(1);
    expect(
      checkWrites([ack('1', 'k1'), ack('1', 'k2')], [{ id: '1', idempotencyKey: 'k1' }]).duplicated,
    ).toBe(2);
  });

  it('counts an id that holds another key as mismatched, and a replayed acknowledgement once', () => {
    expect(checkWrites([ack('1', 'k1')], [{ id: '1', idempotencyKey: 'zz' }]).mismatched).toBe(1);
    expect(checkWrites([ack('1', 'k1'), ack('1', 'k1')], [{ id: '1', idempotencyKey: 'k1' }])).toMatchObject({
      confirmed: 1,
      duplicated: 0,
    });
  });
});

describe('drill helpers', () => {
  it('spreads rotations over the middle 70 % of the run', () => {
    const times = rotationTimesMs(5, 60);
    expect(times).toHaveLength(5);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(0.15 * 60_000);
    expect(Math.max(...times)).toBeLessThanOrEqual(0.85 * 60_000);
    expect(rotationTimesMs(1, 20)).toEqual([10_000]);
  });

  it('counts password occurrences, plain and JSON-escaped, without keeping them', () => {
    const pw = 'p"ss\\word-123';
    const scan = scanForPasswords(
      [
        { source: 'a', lines: ['nothing here', `leak ${pw}`] },
        { source: 'b', lines: [JSON.stringify({ x: pw })] },
      ],
      new Set([pw]),
    );
    expect(scan.occurrences).toBe(2);
    expect(scan.bySource).toEqual({ a: 1, b: 1 });
    expect(JSON.stringify(scan)).not.toContain('word-123');
  });

  it('scans CloudWatch EMF records like any other task line, and counts them', () => {
    const pw = 'emf-secret-456789';
    const record = (extra: Record<string, unknown>) =>
      JSON.stringify({
        Service: 'orders-api',
        _aws: {
          Timestamp: 0,
          CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['Service']], Metrics: [] }],
        },
        ...extra,
      });
    const scan = scanForPasswords(
      [{ source: 'task1', lines: ['{"level":30,"msg":"ready"}', record({}), record({ Outcome: pw })] }],
      new Set([pw]),
    );
    expect(scan.emfRecordsScanned).toBe(2);
    expect(scan.occurrences).toBe(1);
  });

  it('reads pool swaps and Secrets Manager calls from /metrics', () => {
    const m = parseTaskMetrics(
      [
        '# HELP db_pool_swaps_total x',
        'db_pool_swaps_total 3',
        'secretsmanager_calls_total{operation="DescribeSecret",outcome="ok"} 12',
        'secretsmanager_calls_total{operation="GetSecretValue",outcome="ok"} 4',
        'secretsmanager_calls_total{operation="GetSecretValue",outcome="error"} 1',
      ].join('\n'),
    );
    expect(m).toEqual({
      poolSwaps: 3,
      secretsManagerCalls: { DescribeSecret: 12, GetSecretValue: 5 },
      secretsManagerErrors: 1,
    });
  });
});
