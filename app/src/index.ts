/**
 * The app's front door: what the rest of the repository may use of it (the bench's and the naive
 * app's plain-pool variants, the OpenAPI generator, infra/'s dashboard). Everything else in app/src
 * is internal, and the import-boundary rule (tools/lint/import-boundaries.js) refuses a deeper
 * import from outside app/. The service starts from main.ts; this module starts nothing, and loads
 * no AWS SDK: the plain-pool variants import it and must stay plain (a test keeps it so).
 */
// The HTTP API over any `Database`, with its metrics and logger.
export { buildApp, type AppDependencies } from './http/app.js';
export { DB_TUNING, HTTP_DEFAULTS } from './config.js';
export type { Database, Queryable } from './db/database.js';
export type { ReadinessSnapshot } from './health/readiness.js';
export { createMetrics, type Metrics, type PoolStats } from './metrics.js';
export { createLogger, SecretScrubber } from './logger.js';
// The schema, and the secret's shape.
export { runMigrations } from './db/migrate.js';
export { parseSecret, type DbCredentials } from './credentials/secret-shape.js';
// The credential metrics' names, for dashboards and alarms.
export {
  APP_METRICS,
  EMF_NAMESPACE,
  SERVICE_DIMENSION,
  type AppMetricDefinition,
  type AppMetricKey,
} from './metric-names.js';
