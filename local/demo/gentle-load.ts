/**
 * The demo's background traffic: a fixed number of requests per second spread over the tasks
 * (reads and keyed order writes), counted per second. Not a measuring tool: the drill is.
 */
export interface LoadSecond {
  sent: number;
  ok: number;
  failed: number;
}

export interface GentleLoad {
  /** Counts since the last call. */
  takeSecond(): LoadSecond;
  totals(): LoadSecond & { failures: string[] };
  stop(): Promise<void>;
}

export function startGentleLoad(targets: () => string[], ratePerSecond: number): GentleLoad {
  let second: LoadSecond = { sent: 0, ok: 0, failed: 0 };
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
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  const timer = setInterval(fire, 1000 / ratePerSecond);
  return {
    takeSecond() {
      const s = second;
      second = { sent: 0, ok: 0, failed: 0 };
      return s;
    },
    totals: () => total,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
