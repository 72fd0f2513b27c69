/**
 * The benchmark's BASELINE: the same Fastify app and routes on one ordinary pg.Pool
 * (proof/naive-app/plain-database.ts) with static credentials given directly. No Secrets Manager
 * at all, no refresh, no retry: the throughput reference. Rotations break it, by design.
 *
 * Environment: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD (the credentials, never logged),
 * DB_SCHEMA, DB_OWNER_ROLE, DB_POOL_MAX, DB_POOL_MAX_LIFETIME_SECONDS, CREDENTIAL_REFRESH_SECONDS
 * (readiness probe period), PORT, HOST, LOG_LEVEL.
 */
import { runMigrations, createLogger, SecretScrubber, createMetrics } from '../../../app/src/index.js';
// The serving modules themselves, as the naive app's main.ts imports them: the side-by-side pair
// must load the same code (the naive app's index also starts processes, with the AWS SDK).
import { PlainDatabase } from '../../naive-app/plain-database.js';
import {
  intFromEnv,
  logLevelFromEnv,
  serveDatabase,
  untrackedCredentials,
} from '../../naive-app/serve-database.js';

const env = process.env;
const username = env.PGUSER;
const password = env.PGPASSWORD;
if (!username || !password) {
  process.stderr.write('PGUSER and PGPASSWORD are required\n');
  process.exit(1);
}
const schema = env.DB_SCHEMA ?? 'app';
const scrubber = new SecretScrubber();
scrubber.add(password);
const logger = createLogger({
  level: logLevelFromEnv(),
  scrubber,
  name: 'baseline-orders-api',
});
const metrics = createMetrics();

const db = new PlainDatabase(
  {
    host: env.PGHOST ?? '127.0.0.1',
    port: intFromEnv('PGPORT', 5432),
    dbname: env.PGDATABASE ?? 'app',
    username,
    password,
  },
  {
    schema,
    max: intFromEnv('DB_POOL_MAX', 10),
    maxLifetimeSeconds: intFromEnv('DB_POOL_MAX_LIFETIME_SECONDS', 300),
  },
);

const migrationClient = await db.pool.connect();
try {
  await runMigrations({
    client: migrationClient,
    ownerRole: env.DB_OWNER_ROLE ?? 'app_owner',
    schema,
    logger,
  });
} finally {
  migrationClient.release();
}

await serveDatabase({
  db,
  logger,
  metrics,
  credentials: () => untrackedCredentials(username),
  poolStats: () => db.stats(),
});
