/**
 * The benchmark's WRAPPER variant: the same Fastify app and routes over the AWS Advanced NodeJS
 * Wrapper's pooled client with its Secrets Manager plugin (./wrapper-database.ts). The app never
 * sees a password; the wrapper reads the secret itself. Needs Node ≥ 22.9 (within engines.node).
 *
 * Migrations are not run here (the wrapper's connection is not a pg.Client, which node-pg-migrate
 * needs): the bench applies them before it starts any variant.
 *
 * Environment: DB_SECRET_ID, AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_* credentials (the app
 * principal), PGHOST, PGPORT, PGDATABASE, DB_SCHEMA, DB_POOL_MAX, DB_POOL_MAX_LIFETIME_SECONDS,
 * CREDENTIAL_REFRESH_SECONDS (readiness probe period), PORT, HOST, LOG_LEVEL.
 */
import { createLogger, SecretScrubber, createMetrics } from '../../../app/src/index.js';
import {
  intFromEnv,
  logLevelFromEnv,
  serveDatabase,
  untrackedCredentials,
} from '../../naive-app/serve-database.js';
import { WrapperDatabase } from './wrapper-database.js';

const env = process.env;
const secretId = env.DB_SECRET_ID;
const region = env.AWS_REGION;
if (!secretId || !region) {
  process.stderr.write('DB_SECRET_ID and AWS_REGION are required\n');
  process.exit(1);
}
const logger = createLogger({
  level: logLevelFromEnv(),
  scrubber: new SecretScrubber(),
  name: 'wrapper-orders-api',
});
const metrics = createMetrics();

const db = new WrapperDatabase({
  host: env.PGHOST ?? '127.0.0.1',
  port: intFromEnv('PGPORT', 5432),
  database: env.PGDATABASE ?? 'app',
  schema: env.DB_SCHEMA ?? 'app',
  secretId,
  region,
  ...(env.AWS_ENDPOINT_URL_SECRETS_MANAGER !== undefined && {
    secretsManagerEndpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
  }),
  max: intFromEnv('DB_POOL_MAX', 10),
  maxLifetimeSeconds: intFromEnv('DB_POOL_MAX_LIFETIME_SECONDS', 300),
});

await serveDatabase({
  db,
  logger,
  metrics,
  // The wrapper keeps the secret to itself: which user or version it uses is not observable here.
  credentials: () => untrackedCredentials(null),
  poolStats: () => ({ total: 0, idle: 0, waiting: 0, generation: 1, ceiling: 0 }),
});
