import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  generation: number;
  /** Connections the active pool may open now: its size, or less after capacity refusals. */
  ceiling: number;
}

/**
 * One registry per app instance (never prom-client's global one), so several instances can live in
 * one process (tests, the drill) without clashing.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  let poolStats: () => PoolStats = () => ({ total: 0, idle: 0, waiting: 0, generation: 0, ceiling: 0 });

  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    credentialRefreshes: new Counter({
      name: 'db_credential_refreshes_total',
      help: 'Credential refreshes by reason and outcome',
      labelNames: ['reason', 'outcome'] as const,
      registers: [registry],
    }),
    poolSwaps: new Counter({
      name: 'db_pool_swaps_total',
      help: 'Pools replaced because the secret named another database user',
      registers: [registry],
    }),
    authFailureRetries: new Counter({
      name: 'db_auth_failure_retries_total',
      help: 'Connection attempts retried after the database rejected the credentials',
      registers: [registry],
    }),
    connectionRetries: new Counter({
      name: 'db_connection_retries_total',
      help: 'Work retried on a fresh connection after a connection was lost',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    connectionRefusals: new Counter({
      name: 'db_connection_refusals_total',
      help: 'Connections the database refused for want of room (SQLSTATE 53300/53400), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    secretsManagerCalls: new Counter({
      name: 'secretsmanager_calls_total',
      help: 'Secrets Manager API calls by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    /** The pool reports through this; gauges read it at scrape time. */
    setPoolStats(source: () => PoolStats) {
      poolStats = source;
    },
  };

  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections of the active pool by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = poolStats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
      this.set({ state: 'ceiling' }, s.ceiling);
    },
  });
  new Gauge({
    name: 'db_pool_generation',
    help: 'How many pools this process has built (increments on each swap)',
    registers: [registry],
    collect() {
      this.set(poolStats().generation);
    },
  });

  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
