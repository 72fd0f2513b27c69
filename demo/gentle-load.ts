/**
 * The demo's background traffic: a fixed number of requests per second spread over the tasks
 * (reads and keyed order writes), counted per second, with the latency percentiles of the requests
 * that completed in that second (from the time each was sent). Not a measuring tool: the drill is.
 */
export interface LoadSecond {
  sent: number;
  ok: number;
  failed: number;
}

/** One second as takeSecond() hands it over: counts, and latencies of the requests completed in it. */
export interface LoadSecondReport extends LoadSecond {
  /** Milliseconds; null when no request completed in that second. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface GentleLoad {
  /** Counts and latencies since the last call. */
  takeSecond(): LoadSecondReport;
  totals(): LoadSecond & { failures: string[] };
  stop(): Promise<void>;
}

export function startGentleLoad(targets: () => string[], ratePerSecond: number): GentleLoad {
  let second: LoadSecond = { sent: 0, ok: 0, failed: 0 };
  // At demo rates (tens per second) a plain array per second is all a percentile needs.
  let latencies: number[] = [];
  const total: LoadSecond & { failures: string[] } = { sent: 0, ok: 0, failed: 0, failures: [] };
  const inFlight = new Set<Promise<void>>();
  let n = 0;

  const fire = () => {
    const urls = targets();
    if (urls.length === 0) return;
    const i = n++;
    const base = urls[i % urls.length] ?? '';
    const write = i % 5 === 4;
    const request = write
      ? fetch(`${base}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${process.pid}-${i}` },
          body: JSON.stringify({ lines: [{ productId: 1 + (i % 20), quantity: 1 + (i % 3) }] }),
          signal: AbortSignal.timeout(15_000),
        })
      : fetch(`${base}/api/products/${1 + (i % 50)}`, { signal: AbortSignal.timeout(15_000) });
    const sentAt = performance.now();
    second.sent++;
    total.sent++;
    const expected = write ? 201 : 200;
    const done = request
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status !== expected)
          throw new Error(`${write ? 'POST /api/orders' : 'GET /api/products/:id'} → ${response.status}`);
        second.ok++;
        total.ok++;
      })
      .catch((err: unknown) => {
        second.failed++;
        total.failed++;
        if (total.failures.length < 20) total.failures.push(err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        latencies.push(performance.now() - sentAt);
        inFlight.delete(done);
      });
    inFlight.add(done);
  };

  const timer = setInterval(fire, 1000 / ratePerSecond);
  return {
    takeSecond() {
      const s = second;
      const sorted = latencies.sort((a, b) => a - b);
      second = { sent: 0, ok: 0, failed: 0 };
      latencies = [];
      return {
        ...s,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        maxMs: percentile(sorted, 1),
      };
    },
    totals: () => total,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

/** Nearest-rank percentile of an ascending array, rounded to 0.1 ms; null for an empty one. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return Math.round((sorted[rank - 1] ?? 0) * 10) / 10;
}
