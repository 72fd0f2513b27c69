import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EmfRecorder } from './emf-recorder.js';
import { APP_METRICS, type AppMetricDefinition } from './metric-names.js';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  generation: number;
  /** Connections the active pool may open now: its size, or less after capacity refusals. */
  ceiling: number;
}

/** A metric's labels, as its definition in metric-names.ts names them. */
type LabelsOf<M extends AppMetricDefinition> = { [K in keyof M['labels']]: string };

/** A Prometheus counter that, with CloudWatch EMF on, also counts into the EMF record of the interval. */
export interface TwinCounter<L extends Record<string, string>> {
  inc(labels?: L, value?: number): void;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** CloudWatch embedded metric format output (CLOUDWATCH_EMF_SERVICE); Prometheus only without it. */
  emf?: EmfRecorder;
}

/**
 * One registry per app instance (never prom-client's global one), so several instances can live in
 * one process (tests, the drill) without clashing.
 *
 * The credential metrics of metric-names.ts are incremented here and only here: each call reaches
 * Prometheus and, when EMF is on, the EMF recorder, so both outputs always agree.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const { emf } = options;

  const counter = <M extends AppMetricDefinition>(metric: M, help: string): TwinCounter<LabelsOf<M>> => {
    const prometheus = new Counter({
      name: metric.prometheus,
      help,
      labelNames: Object.keys(metric.labels),
      registers: [registry],
    });
    return {
      inc(labels, value = 1) {
        prometheus.inc(labels ?? {}, value);
        emf?.count(metric, labels ?? {}, value);
      },
    };
  };

  let poolStats: () => PoolStats = () => ({ total: 0, idle: 0, waiting: 0, generation: 0, ceiling: 0 });
  const poolSwapSeconds = new Histogram({
    name: APP_METRICS.poolSwapDuration.prometheus,
    help: 'Time from the decision to build a new pool to the swap, warming included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const onPending = new Gauge({
    name: APP_METRICS.credentialsOnPending.prometheus,
    help: '1 while the credentials in use come from the AWSPENDING version (single-user rotation window)',
    registers: [registry],
  });

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
    credentialAdoptions: counter(
      APP_METRICS.credentialAdoptions,
      'Credential versions put in use, by the stage the version held when adopted',
    ),
    poolSwaps: counter(
      APP_METRICS.poolSwaps,
      'Pools replaced because the secret named another database user',
    ),
    /** From the decision to build a new pool to the swap (warming included), in seconds. */
    poolSwapDuration: {
      observe(seconds: number) {
        poolSwapSeconds.observe(seconds);
        emf?.observe(APP_METRICS.poolSwapDuration, {}, seconds * 1000);
      },
    },
    /** 1 while the version in use holds AWSPENDING (the single-user window), else 0. */
    credentialsOnPending: {
      set(value: 0 | 1) {
        onPending.set(value);
        emf?.gauge(APP_METRICS.credentialsOnPending, {}, value);
      },
    },
    authFailureRecoveries: counter(
      APP_METRICS.authFailureRecoveries,
      'Recoveries from refused credentials by outcome (recovered, retry; exhausted: a request gave up)',
    ),
    connectionAcquireFailures: counter(
      APP_METRICS.connectionAcquireFailures,
      'Requests that got no database connection, by reason',
    ),
    readinessTransitions: counter(
      APP_METRICS.readinessTransitions,
      'Readiness changes, by the state entered',
    ),
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
    secretsManagerCalls: counter(
      APP_METRICS.secretsManagerCalls,
      'Secrets Manager API calls by operation and outcome',
    ),
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
