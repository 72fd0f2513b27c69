import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config.js';
import { CredentialStore } from './credentials/credential-store.js';
import { SecretSource } from './credentials/secret-source.js';
import { runMigrations } from './db/migrate.js';
import { RotatingPool } from './db/rotating-pool.js';
import { tlsOptions } from './db/tls.js';
import { HealthCycle } from './health/health-cycle.js';
import { buildApp } from './http/app.js';
import { IdempotencyRetention } from './idempotency-retention.js';
import type { SecretScrubber } from './logger.js';
import { EmfRecorder } from './emf-recorder.js';
import { EMF_NAMESPACE } from './metric-names.js';
import { createMetrics, type Metrics } from './metrics.js';
import { sleep } from './util/sleep.js';

export interface ServiceOptions {
  config: AppConfig;
  logger: Logger;
  scrubber: SecretScrubber;
  /** Defaults to the SDK's default credential chain (the task role on Fargate). */
  secretsManager?: SecretsManagerClient;
  /**
   * Where CloudWatch EMF records go when `config.cloudwatchEmf` is set: one line each, written
   * through the scrubber. main.ts passes the logger's stdout destination.
   */
  emfOutput?: (line: string) => void;
}

export interface RunningService {
  app: FastifyInstance;
  url: string;
  store: CredentialStore;
  pool: RotatingPool;
  health: HealthCycle;
  metrics: Metrics;
  /** SIGTERM path: readiness 503 → wait `delaySeconds` → stop accepting, finish in-flight → drain pools. */
  shutdown(delaySeconds: number): Promise<void>;
}

// An unanswered Secrets Manager call must not hang a refresh: fail fast and serve on the cached value.
const SDK_CONNECTION_TIMEOUT_MS = 2000; // a TCP + TLS handshake to the regional endpoint takes far less
const SDK_REQUEST_TIMEOUT_MS = 5000; // GetSecretValue answers in tens of ms; longer means it is stuck
const SDK_MAX_ATTEMPTS = 2; // one retry: the health cycle tries again next interval anyway
const SECRET_RETRY_BASE_MS = 1000; // first wait after a failed read; doubles up to the refresh interval

/** The composition root: everything the process runs, wired in the order it must start. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger, scrubber } = options;
  const emf = createEmfRecorder(options);
  const metrics = createMetrics({ ...(emf && { emf }) });
  const ownsClient = !options.secretsManager;
  const secretsManager =
    options.secretsManager ??
    new SecretsManagerClient({
      ...(config.aws.region !== undefined && { region: config.aws.region }),
      requestHandler: {
        connectionTimeout: SDK_CONNECTION_TIMEOUT_MS,
        requestTimeout: SDK_REQUEST_TIMEOUT_MS,
      },
      maxAttempts: SDK_MAX_ATTEMPTS,
    });

  // What has started so far, stopped in reverse: by shutdown, or when startup fails (a port in use,
  // a failed migration). One list, so nothing is stopped on one path and forgotten on the other.
  const started: (() => unknown)[] = [];
  const stopStarted = async () => {
    for (const stop of started.toReversed()) await stop();
  };
  if (emf) started.push(() => emf.close());
  if (ownsClient)
    started.push(() => {
      secretsManager.destroy();
    });
  try {
    const store = new CredentialStore({
      source: new SecretSource(secretsManager, config.secretId, metrics),
      fallback: config.db.fallback,
      logger: logger.child({ component: 'credentials' }),
      metrics,
      scrubber,
      backoff: { baseMs: SECRET_RETRY_BASE_MS, maxMs: config.credentialRefreshSeconds * 1000 },
    });
    await store.load();

    const pool = new RotatingPool({
      store,
      db: config.db,
      ssl: tlsOptions(config.db.ssl, config.db.sslCaPath),
      logger: logger.child({ component: 'pool' }),
      metrics,
    });
    started.push(() => pool.end());

    if (config.db.migrate) {
      const applied = await pool.session((client) =>
        runMigrations({ client, ownerRole: config.db.ownerRole, schema: config.db.schema, logger }),
      );
      logger.info({ applied }, 'migrations up to date');
    }

    const health = new HealthCycle({
      store,
      pool,
      logger: logger.child({ component: 'health' }),
      intervalSeconds: config.credentialRefreshSeconds,
      probeTimeoutMs: config.db.probeTimeoutMs,
      metrics,
    });
    started.push(() => {
      health.stop();
    });
    await health.start();

    const retention = new IdempotencyRetention({
      db: pool,
      retentionHours: config.idempotencyRetentionHours,
      logger: logger.child({ component: 'idempotency-retention' }),
    });
    started.push(() => {
      retention.stop();
    });

    const app = await buildApp({
      db: pool,
      readiness: health,
      metrics,
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      writesPerMinute: config.http.writesPerMinute,
      trustProxy: config.http.trustProxy,
      idempotencyRetentionHours: config.idempotencyRetentionHours,
      apiDocs: config.http.apiDocs,
    });
    started.push(() => app.close());
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    retention.start();

    return {
      app,
      url,
      store,
      pool,
      health,
      metrics,
      async shutdown(delaySeconds) {
        health.setDraining();
        // The load balancer needs a few health checks to stop routing here; keep serving meanwhile.
        await sleep(delaySeconds * 1000);
        // The listener, the retention sweep, the health cycle, the pool, the SDK client, and last
        // EMF, so that the interval that saw the shutdown (readiness going 503) is written too.
        await stopStarted();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}

function createEmfRecorder(options: ServiceOptions): EmfRecorder | undefined {
  const { config, logger, scrubber } = options;
  if (!config.cloudwatchEmf) return undefined;
  const { service } = config.cloudwatchEmf;
  const output = options.emfOutput ?? ((line: string) => process.stdout.write(`${line}\n`));
  let reported = false;
  const recorder = new EmfRecorder({
    service,
    // Only counts and bounded labels reach a record; the scrubber is the same second line of defence as for logs.
    write: (line) => {
      output(scrubber.scrub(line));
    },
    onError: (err) => {
      if (reported) return;
      reported = true;
      logger.warn({ err: err instanceof Error ? err.name : 'error' }, 'a CloudWatch EMF record was dropped');
    },
  });
  recorder.start();
  logger.info(
    { service, namespace: EMF_NAMESPACE },
    'CloudWatch embedded metric format records on stdout every 60 s',
  );
  return recorder;
}
