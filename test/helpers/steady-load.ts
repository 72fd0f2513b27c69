/**
 * Concurrent closed-loop traffic against a listening server, for integration tests: a mix of reads
 * and keyed writes, every response checked. Bounded by an explicit stop() and a hard cap on requests.
 */
export interface LoadResult {
  requests: number;
  failures: { route: string; status: number | string; body: string }[];
  orderIds: number[];
}

export interface RunningLoad {
  /** Resolves once at least `count` more requests have completed (progress, not time). */
  waitForRequests(count: number): Promise<void>;
  stop(): Promise<LoadResult>;
}

export function startSteadyLoad(
  baseUrl: string,
  options: { workers?: number; maxRequests?: number } = {},
): RunningLoad {
  const workers = options.workers ?? 6;
  const maxRequests = options.maxRequests ?? 50_000;
  const result: LoadResult = { requests: 0, failures: [], orderIds: [] };
  let stopping = false;
  const waiters: { target: number; resolve: () => void }[] = [];

  const settle = () => {
    for (const w of [...waiters]) {
      if (result.requests >= w.target || stopping) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const one = async (worker: number, i: number) => {
    const kind = i % 4;
    let route: string;
    let init: RequestInit | undefined;
    let expected: number[];
    if (kind === 3) {
      route = 'POST /api/orders';
      init = {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `load-${worker}-${i}-${Date.now()}`,
        },
        body: JSON.stringify({ lines: [{ productId: 1 + (i % 5), quantity: 1 + (i % 3) }] }),
      };
      expected = [201];
    } else if (kind === 2) {
      route = 'GET /api/products/:id';
      expected = [200];
    } else {
      route = 'GET /api/products';
      expected = [200];
    }
    const path =
      kind === 3 ? '/api/orders' : kind === 2 ? `/api/products/${1 + (i % 10)}` : '/api/products?limit=5';
    try {
      const response = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(30_000) });
      const body = await response.text();
      if (!expected.includes(response.status)) {
        result.failures.push({ route, status: response.status, body: body.slice(0, 300) });
      } else if (kind === 3) {
        result.orderIds.push((JSON.parse(body) as { id: number }).id);
      }
    } catch (err) {
      result.failures.push({
        route,
        status: err instanceof Error ? err.name : 'error',
        body: String(err).slice(0, 300),
      });
    } finally {
      result.requests++;
      settle();
    }
  };

  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; !stopping && result.requests < maxRequests; i++) await one(worker, i);
  });

  return {
    waitForRequests(count) {
      const target = result.requests + count;
      return new Promise((resolve) => {
        waiters.push({ target, resolve });
        settle();
      });
    },
    async stop() {
      stopping = true;
      settle();
      await Promise.all(loops);
      return result;
    },
  };
}
