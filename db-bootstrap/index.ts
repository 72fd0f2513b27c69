/**
 * The database bootstrap's entry: what the CDK custom resource (infra/lambda/bootstrap-handler.ts),
 * the compose CLI (db-bootstrap/main.ts) and the local stack import.
 */
export { bootstrapDatabase } from './bootstrap-database.js';
export { BootstrapError } from './errors.js';
export { validateIdentifier } from './identifiers.js';
export {
  DEFAULT_APP_SECRET_NAME,
  DEFAULT_MASTER_SECRET_ID,
  type BootstrapConnection,
  type BootstrapOptions,
  type BootstrapResult,
} from './options.js';
// The password rules and the clone suffix belong to the rotation function; re-exported for callers of the bootstrap.
export { DEFAULT_EXCLUDE_CHARACTERS, DEFAULT_PASSWORD_LENGTH, CLONE_SUFFIX } from '../rotation/public.js';
