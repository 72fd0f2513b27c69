/**
 * The naive app: the same routes on a pool given its password once at startup, the control that
 * shows the failure a rotation causes without the credential path. Also the pieces the bench's
 * other variants reuse (a plain pg pool, the shared serving code).
 *
 * For the harness: spawnNaiveApp reads the secret with the AWS SDK. A server process (the bench's
 * baseline) imports the serving modules themselves, so that it loads what the naive app loads.
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
