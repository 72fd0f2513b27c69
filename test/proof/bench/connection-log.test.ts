import { describe, expect, it } from 'vitest';
import {
  aliveSteps,
  appBackends,
  openedIn,
  parseConnectionLog,
  peakAlive,
  steadyAlive,
  type BackendLife,
} from '../../../proof/bench/connection-log.js';

/** A server log line as the bench's PostgreSQL writes it (log_line_prefix '%n [%p] '). */
const at = (ms: number, pid: number, message: string) =>
  `${(ms / 1000).toFixed(3)} [${pid}] LOG:  ${message}`;
const received = (ms: number, pid: number) => at(ms, pid, 'connection received: host=127.0.0.1 port=50000');
const authorized = (ms: number, pid: number, user: string, app = 'orders-api') =>
  at(ms, pid, `connection authorized: user=${user} database=orders application_name=${app}`);
const ended = (ms: number, pid: number, user: string) =>
  at(
    ms,
    pid,
    `disconnection: session time: 0:00:01.000 user=${user} database=orders host=127.0.0.1 port=50000`,
  );

const life = (startMs: number, endMs: number | null, pid = startMs): BackendLife => ({
  pid,
  user: 'app',
  application: 'orders-api',
  startMs,
  endMs,
});

describe('parseConnectionLog', () => {
  it('takes a backend from its connection received to its disconnection', () => {
    const lives = parseConnectionLog([
      received(1_000_000, 11),
      at(1_000_001, 11, 'connection authenticated: identity="app" method=scram-sha-256'),
      authorized(1_000_004, 11, 'app'),
      received(1_000_010, 12),
      authorized(1_000_012, 12, 'app_clone'),
      ended(1_000_500, 11, 'app'),
      '1000000.600 [1] LOG:  checkpoint starting: time',
    ]);
    expect(lives).toEqual([
      { pid: 11, user: 'app', application: 'orders-api', startMs: 1_000_000, endMs: 1_000_500 },
      { pid: 12, user: 'app_clone', application: 'orders-api', startMs: 1_000_010, endMs: null },
    ]);
  });

  it('gives a login the server refused no life, and a reused pid a new one', () => {
    const lives = parseConnectionLog([
      received(100, 7),
      at(105, 7, 'FATAL:  password authentication failed for user "app"'),
      received(200, 7),
      authorized(203, 7, 'app'),
      ended(300, 7, 'app'),
      received(400, 7),
      authorized(402, 7, 'app'),
    ]);
    expect(lives.map((l) => [l.startMs, l.endMs])).toEqual([
      [200, 300],
      [400, null],
    ]);
  });

  it("counts the app's roles only, without the rotation function's connections", () => {
    const lives = parseConnectionLog([
      received(1, 1),
      authorized(1, 1, 'app'),
      received(2, 2),
      authorized(2, 2, 'app', 'secrets-manager-rotation'),
      received(3, 3),
      authorized(3, 3, 'master'),
      received(4, 4),
      authorized(4, 4, 'app_clone'),
    ]);
    expect(appBackends(lives, ['app', 'app_clone']).map((l) => l.pid)).toEqual([1, 4]);
  });
});

describe('counting backends alive at once', () => {
  it('sees an overlap of a few ms that samples 25 ms apart would miss', () => {
    // Two old backends; two new ones warmed just before the old ones close.
    const lives = [life(0, 1_003, 1), life(0, 1_004, 2), life(1_000, null, 3), life(1_002, null, 4)];
    expect(peakAlive(lives, 500, 2_000)).toBe(4);
    expect(aliveSteps(lives, 500, 2_000)).toEqual([
      { atMs: 500, count: 2 },
      { atMs: 1_000, count: 3 },
      { atMs: 1_002, count: 4 },
      { atMs: 1_003, count: 3 },
      { atMs: 1_004, count: 2 },
    ]);
  });

  it('does not count a connection replaced in the same ms twice', () => {
    const lives = [life(0, 1_000, 1), life(1_000, null, 2)];
    expect(peakAlive(lives, 0, 2_000)).toBe(1);
  });

  it('counts the backends opened in a window from their start', () => {
    const lives = [life(0, 1_500, 1), life(1_000, null, 2), life(1_999, 2_100, 3), life(2_000, null, 4)];
    expect(openedIn(lives, 1_000, 2_000)).toBe(2);
  });

  it('takes the steady count as the median over time, outside the windows', () => {
    // 4 held for 8 s, 5 for 1 s, and 8 inside the window (excluded).
    const lives = [
      ...[1, 2, 3, 4].map((pid) => life(0, null, pid)),
      life(8_000, 9_000, 5),
      ...[6, 7, 8, 9].map((pid) => life(9_000, 9_500, pid)),
    ];
    expect(steadyAlive(lives, 0, 10_000, [{ fromMs: 9_000, toMs: 9_500 }])).toBe(4);
    expect(steadyAlive(lives, 0, 10_000, [{ fromMs: 0, toMs: 10_000 }])).toBeNull();
    // Only the second that held 5 left: the median is 5.
    expect(
      steadyAlive(lives, 0, 10_000, [
        { fromMs: 0, toMs: 8_000 },
        { fromMs: 9_000, toMs: 10_000 },
      ]),
    ).toBe(5);
  });
});
