/**
 * The closed-model generator against a real listening server: never more requests in flight than
 * its workers, the warm-up not counted, answers classified by the mix's expected status.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runClosedModel } from '../../load/closed-model.js';
import { RequestMix, validateScenario } from '../../load/scenario.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  if (s) await new Promise((r) => s.close(r));
  server = undefined;
});

/** Answers every request after a few ms; /missing with 404. Counts requests and the most in flight. */
async function countingServer() {
  const seen = { total: 0, inFlight: 0, maxInFlight: 0 };
  server = createServer((req, res) => {
    seen.total++;
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    setTimeout(() => {
      seen.inFlight--;
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('{"id": 7}');
    }, 2);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const mix = (expectMissing: number) =>
  new RequestMix(
    validateScenario({
      name: 'test',
      version: 1,
      params: {},
      requests: [
        { name: 'ok', method: 'GET', path: '/ok', weight: 3, expect: 200 },
        { name: 'missing', method: 'GET', path: '/missing', weight: 1, expect: expectMissing },
      ],
    }),
    { seed: 1, keyPrefix: 'closed' },
  );

describe('closed-model load', () => {
  it('keeps exactly its workers busy and counts only the measured time', async () => {
    const { url, seen } = await countingServer();
    const r = await runClosedModel({ url, mix: mix(404), concurrency: 4, warmupMs: 200, durationMs: 400 });
    expect(seen.maxInFlight).toBe(4);
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(0);
    // The warm-up and the requests straddling the edges were served but not counted.
    expect(seen.total).toBeGreaterThan(r.ok);
    expect(r.achievedRps).toBeCloseTo(r.ok / 0.4, 0);
    expect(r.latency.count).toBe(r.ok);
  });

  it('counts an answer with another status than expected as failed, by reason', async () => {
    const { url } = await countingServer();
    const r = await runClosedModel({ url, mix: mix(200), concurrency: 2, durationMs: 300 });
    expect(r.failed).toBeGreaterThan(0);
    expect(r.failedByReason).toEqual({ 'status 404': r.failed });
    expect(r.ok).toBeGreaterThan(r.failed);
  });
});
