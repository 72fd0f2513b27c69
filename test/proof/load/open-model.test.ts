import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropReason,
  intendedOffsetMs,
  now,
  scheduledCount,
  startOpenModel,
  type OpenModelOptions,
} from '../../../proof/load/open-model.js';
import { RequestMix, validateScenario } from '../../../proof/load/scenario.js';
import { TargetPool } from '../../../proof/load/targets.js';

const scenario = validateScenario({
  name: 'test',
  version: 1,
  params: {},
  requests: [{ name: 'ping', method: 'GET', path: '/ping', weight: 1, expect: 200 }],
});

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  if (s) await new Promise((r) => s.close(r));
  server = undefined;
});

/** A server that answers at once, except that requests arriving while `stalling()` are held until release(). */
async function stallingServer() {
  const arrivals: number[] = [];
  let stalled: ServerResponse[] = [];
  let stalling = false;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') {
      res.end('{}');
      return;
    }
    arrivals.push(now());
    if (stalling) stalled.push(res);
    else res.end('ok');
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    stall() {
      stalling = true;
    },
    release() {
      stalling = false;
      for (const res of stalled) res.end('ok');
      stalled = [];
    },
  };
}

/**
 * 200 req/s for 300 ms at a server that holds every request, at most 5 in flight: the five are held,
 * the rest dropped. `extra` adds options, given the server (to release it).
 */
async function cappedRunAgainstStall(
  extra: (srv: Awaited<ReturnType<typeof stallingServer>>) => Partial<OpenModelOptions> = () => ({}),
) {
  const srv = await stallingServer();
  const targets = new TargetPool({ urls: [srv.url] });
  await targets.start();
  srv.stall();
  const run = startOpenModel({
    rate: 200,
    durationMs: 300,
    mix: new RequestMix(scenario, { seed: 1, keyPrefix: 't' }),
    targets,
    maxInFlight: 5,
    ...extra(srv),
  });
  return { srv, targets, run };
}

describe('open-model scheduler', () => {
  it('schedules request i at i / rate, whatever the answers', () => {
    expect(intendedOffsetMs(0, 200)).toBe(0);
    expect(intendedOffsetMs(200, 200)).toBe(1000);
    expect(intendedOffsetMs(3, 4)).toBe(750);
    expect(scheduledCount(200, 1500)).toBe(300);
    expect(scheduledCount(200, 1500, 10)).toBe(10);
  });

  it('keeps sending through a stall and measures latency from the intended send time', async () => {
    const srv = await stallingServer();
    const targets = new TargetPool({ urls: [srv.url] });
    await targets.start();
    const rate = 200;
    const durationMs = 1500;
    const run = startOpenModel({
      rate,
      durationMs,
      mix: new RequestMix(scenario, { seed: 1, keyPrefix: 't' }),
      targets,
      maxInFlight: 10_000,
    });
    // Stall from 300 ms to 900 ms of the run.
    const stallStart = run.startedAt + 300;
    const stallEnd = run.startedAt + 900;
    await new Promise((r) => setTimeout(r, stallStart - now()));
    srv.stall();
    const stalledFrom = now();
    await new Promise((r) => setTimeout(r, stallEnd - now()));
    srv.release();
    const releasedAt = now();
    await run.done;
    targets.stop();

    const records = run.records;
    expect(records.length).toBe(scheduledCount(rate, durationMs));
    expect(records.filter((r) => r.outcome === 'dropped')).toHaveLength(0);
    expect(records.filter((r) => r.outcome === 'failed')).toHaveLength(0);
    // Not held back: arrivals during the stall ≈ rate × stall time (open model).
    const stallMs = releasedAt - stalledFrom;
    const duringStall = srv.arrivals.filter((t) => t >= stalledFrom && t < releasedAt).length;
    expect(duringStall / ((rate * stallMs) / 1000)).toBeGreaterThan(0.8);
    // A request due just after the stall began waited for the release: its latency covers the rest of the stall.
    const firstStalled = records.find((r) => run.startedAt + r.intendedMs >= stalledFrom + 5);
    expect(firstStalled).toBeDefined();
    const due = run.startedAt + (firstStalled?.intendedMs ?? 0);
    expect(firstStalled?.latencyMs ?? 0).toBeGreaterThanOrEqual(releasedAt - due);
    // And the worst latency is about the stall itself, not hidden by waiting to send.
    const max = Math.max(...records.map((r) => r.latencyMs ?? 0));
    expect(max / stallMs).toBeGreaterThan(0.9);
  });

  it('drops (never sends) what is due while the in-flight cap is reached', async () => {
    const { srv, targets, run } = await cappedRunAgainstStall();
    await new Promise((r) => setTimeout(r, 400));
    srv.release();
    await run.done;
    targets.stop();
    const dropped = run.records.filter((r) => r.outcome === 'dropped');
    expect(run.records.filter((r) => r.outcome === 'ok')).toHaveLength(5);
    expect(dropped.length).toBe(run.records.length - 5);
    expect(dropped.every((r) => r.reason === 'in-flight-cap' && r.latencyMs === null)).toBe(true);
    expect(srv.arrivals).toHaveLength(5);
  });

  it('keeps counts and no records when asked, and reports each request once as it settles, dropped ones included', async () => {
    const total = scheduledCount(200, 300);
    const settled: string[] = [];
    const { targets, run } = await cappedRunAgainstStall((srv) => ({
      keepRecords: false,
      onSettled: (record) => {
        settled.push(record.outcome);
        // Everything but the five held requests has been dropped: let those five be answered.
        if (settled.length === total - 5) srv.release();
      },
    }));
    await run.done;
    targets.stop();
    expect(run.records).toEqual([]);
    expect(settled).toHaveLength(total);
    expect(settled.filter((o) => o === 'ok')).toHaveLength(5);
    expect(settled.filter((o) => o === 'dropped')).toHaveLength(total - 5);
  });
});

describe('dropped', () => {
  const base = { maxLateMs: 200, maxInFlight: 10 };
  it('is not dropped when on time and under the cap', () => {
    expect(dropReason({ ...base, lateMs: 199, inFlight: 9 })).toBeUndefined();
  });
  it('is dropped when the generator is more than maxLateMs late', () => {
    expect(dropReason({ ...base, lateMs: 201, inFlight: 0 })).toBe('late');
  });
  it('is dropped when maxInFlight requests are unanswered', () => {
    expect(dropReason({ ...base, lateMs: 0, inFlight: 10 })).toBe('in-flight-cap');
  });
});

describe('request mix', () => {
  it('is deterministic for a seed and follows the weights', async () => {
    const { loadScenario } = await import('../../../proof/load/scenario.js');
    const s = loadScenario();
    const names = (seed: number) => {
      const mix = new RequestMix(s, { seed, keyPrefix: 'k' });
      mix.capture('orderId', '1');
      return Array.from({ length: 2000 }, () => mix.next().name);
    };
    expect(names(7)).toEqual(names(7));
    expect(names(7)).not.toEqual(names(8));
    const counts = names(7).reduce<Record<string, number>>((c, n) => ({ ...c, [n]: (c[n] ?? 0) + 1 }), {});
    // weights 4:3:2:1
    expect((counts['list-products'] ?? 0) / (counts['get-order'] ?? 1)).toBeGreaterThan(2.5);
    expect((counts['list-products'] ?? 0) / (counts['get-order'] ?? 1)).toBeLessThan(6);
  });

  it('fills placeholders, keeps numbers numbers, and keys idempotent writes', async () => {
    const { loadScenario } = await import('../../../proof/load/scenario.js');
    const mix = new RequestMix(loadScenario(), { seed: 3, keyPrefix: 'run' });
    const all = Array.from({ length: 200 }, () => mix.next());
    const order = all.find((r) => r.name === 'create-order');
    expect(order?.idempotencyKey).toMatch(/^run-\d+$/);
    expect(order?.headers['idempotency-key']).toBe(order?.idempotencyKey);
    const body = JSON.parse(order?.body ?? '{}') as { lines: { productId: unknown; quantity: unknown }[] };
    expect(typeof body.lines[0]?.productId).toBe('number');
    // get-order needs a captured order id: none was captured, so it is never picked.
    expect(all.some((r) => r.name === 'get-order')).toBe(false);
    expect(all.find((r) => r.name === 'get-product')?.path).toMatch(/^\/api\/products\/\d+$/);
  });

  it('names the field at fault in a bad scenario', () => {
    expect(() =>
      validateScenario({
        ...scenario,
        requests: [{ name: 'x', method: 'GET', path: '/a/{nope}', weight: 1, expect: 200 }],
      }),
    ).toThrow(/\{nope\}/);
  });
});
