/**
 * What the naive app and the bench's own servers (the baseline and the wrapper variant) share: the
 * same Fastify app (app/src/http/app.ts) over a given Database, a database probe every
 * CREDENTIAL_REFRESH_SECONDS behind /health/ready, and a clean exit on SIGTERM.
 */
import type { LevelWithSilent, Logger } from 'pino';
import {
  type Database,
  type ReadinessSnapshot,
  HTTP_DEFAULTS,
  buildApp,
  type Metrics,
  type PoolStats,
} from '../../app/src/index.js';

/** An integer ≥ min from the environment, or the fallback. */
export function intFromEnv(name: string, fallback: number, min = 1): number {
  const n = Number(process.env[name] ?? fallback);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL as the app reads it (info when unset or unknown). */
export function logLevelFromEnv(): LevelWithSilent {
  const level = process.env.LOG_LEVEL ?? 'info';
  return (LEVELS.includes(level) ? level : 'info') as LevelWithSilent;
}

/** The readiness view of credentials the process was given and does not track: only the user, if known. */
export function untrackedCredentials(username: string | null): ReadinessSnapshot['credentials'] {
  return { versionId: null, stage: null, username, fetchedAt: null, ageSeconds: null, lastCheckAt: null };
}

export interface ServeOptions {
  db: Database & { end(): Promise<void> };
  logger: Logger;
  metrics: Metrics;
  /** What /health/ready says about the credentials in use (nothing secret). */
  credentials: () => ReadinessSnapshot['credentials'];
  poolStats: () => PoolStats;
}

export async function serveDatabase(options: ServeOptions): Promise<void> {
  const { db, logger, metrics } = options;
  metrics.setPoolStats(options.poolStats);
  let draining = false;
  let database: ReadinessSnapshot['database'] = { reachable: false, checkedAt: null };
  const probe = async () => {
    try {
      await db.read((q) => q.query('SELECT 1'));
      database = { reachable: true, checkedAt: new Date().toISOString() };
    } catch (err) {
      database = { reachable: false, checkedAt: new Date().toISOString(), error: (err as Error).name };
    }
  };
  await probe();
  const probeTimer = setInterval(() => void probe(), intFromEnv('CREDENTIAL_REFRESH_SECONDS', 30) * 1000);
  const readiness = {
    snapshot: (): ReadinessSnapshot => {
      const pool = options.poolStats();
      return {
        ready: !draining && database.reachable,
        draining,
        database,
        credentials: options.credentials(),
        pool: { generation: pool.generation, total: pool.total, idle: pool.idle, waiting: pool.waiting },
      };
    },
  };

  const app = await buildApp({
    db,
    readiness,
    metrics,
    logger,
    // As the app and the naive app read it: the same rate-limit hook in every variant's path.
    writesPerMinute: intFromEnv('RATE_LIMIT_WRITES_PER_MINUTE', HTTP_DEFAULTS.writesPerMinute, 0),
    trustProxy: process.env.TRUST_PROXY === 'true' || intFromEnv('TRUST_PROXY', 0, 0) || false,
  });
  await app.listen({ host: process.env.HOST ?? '0.0.0.0', port: intFromEnv('PORT', 3000) });

  const shutdown = async () => {
    draining = true;
    clearInterval(probeTimer);
    await app.close();
    await db.end();
    logger.flush(() => process.exit(0));
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}
