/**
 * The naive app: the same routes on a pool that reads its password once at startup, the control
 * that shows the failure a rotation causes without the credential path. Also the pieces the
 * bench's other variants reuse (a plain pg pool, the shared serving code).
 */
export { NAIVE_APP_MAIN } from './main-path.js';
export { PlainDatabase } from './plain-database.js';
export {
  intFromEnv,
  logLevelFromEnv,
  serveDatabase,
  untrackedCredentials,
  type ServeOptions,
} from './serve-database.js';
export { spawnNaiveApp, type SecretsBlock } from './spawn.js';
