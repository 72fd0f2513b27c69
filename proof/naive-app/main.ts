/**
 * The NAIVE app, for the drill's control run only (never shipped, never in app/): the same routes,
 * migrations and metrics as the real service, but the database credentials come ONCE, from the
 * environment, as the ECS task definition's `secrets` block gives them: the ECS agent reads the
 * secret when the task starts and puts its JSON in an environment variable. The process itself
 * has no Secrets Manager client. An ordinary pg.Pool uses those credentials.
 *
 * It recycles connections exactly like the real service (DB_POOL_MAX_LIFETIME_SECONDS, idle
 * timeout 30 s): after a rotation changes the password, the next new connection is refused.
 *
 * Environment: DB_SECRET (the secret's JSON, see spawn.ts), DB_SCHEMA, DB_OWNER_ROLE, PORT, HOST,
 * DB_POOL_MAX, DB_POOL_MAX_LIFETIME_SECONDS, CREDENTIAL_REFRESH_SECONDS (readiness probe period),
 * RATE_LIMIT_WRITES_PER_MINUTE, TRUST_PROXY.
 */
import {
  parseSecret,
  runMigrations,
  createLogger,
  SecretScrubber,
  createMetrics,
} from '../../app/src/index.js';
import { PlainDatabase } from './plain-database.js';
import { intFromEnv, logLevelFromEnv, serveDatabase } from './serve-database.js';
import { INJECTED_SECRET_VARIABLE } from './main-path.js';

const env = process.env;
const injected = env[INJECTED_SECRET_VARIABLE];
if (!injected) {
  process.stderr.write(`${INJECTED_SECRET_VARIABLE} is required (the secret's JSON)\n`);
  process.exit(1);
}
const schema = env.DB_SCHEMA ?? 'app';
const ownerRole = env.DB_OWNER_ROLE ?? 'app_owner';

const scrubber = new SecretScrubber();
const logger = createLogger({ level: logLevelFromEnv(), scrubber, name: 'naive-orders-api' });
const metrics = createMetrics();

const { credentials } = parseSecret(injected, {});
scrubber.add(credentials.password);
logger.info({ username: credentials.username }, 'credentials given once at startup');

const db = new PlainDatabase(credentials, {
  schema,
  max: intFromEnv('DB_POOL_MAX', 10),
  maxLifetimeSeconds: intFromEnv('DB_POOL_MAX_LIFETIME_SECONDS', 300),
});

const migrationClient = await db.pool.connect();
try {
  await runMigrations({ client: migrationClient, ownerRole, schema, logger });
} finally {
  migrationClient.release();
}

const fetchedAt = Date.now();
await serveDatabase({
  db,
  logger,
  metrics,
  credentials: () => ({
    versionId: null,
    stage: 'AWSCURRENT',
    username: credentials.username,
    fetchedAt: new Date(fetchedAt).toISOString(),
    ageSeconds: Math.round((Date.now() - fetchedAt) / 1000),
    lastCheckAt: null,
  }),
  poolStats: () => db.stats(),
});
