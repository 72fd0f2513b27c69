/**
 * rotation/'s front door: what the rest of the repository may use of the rotation function.
 * db-bootstrap/ shares its password rules, SCRAM verifiers, connection settings and error helpers;
 * infra/ its strategies, steps and password defaults; local/ runs it in-process. Everything else in
 * rotation/ is internal, and the import-boundary rule (tools/lint/import-boundaries.js) refuses a
 * deeper import from outside it. index.ts stays the Lambda's entry, exporting the handler only.
 */
// The function, to run it in-process.
export {
  createRotationHandler,
  STEPS,
  type RotationEvent,
  type RotationHandler,
  type RotationStep,
  type StepResult,
} from './handler.js';
export { createSecret } from './steps/create-secret.js';
export type { StepOutcome } from './steps/context.js';
export type { RdsApi } from './master-secret.js';
export { createLogger, type LogLevel, type RotationLogger } from './logger.js';
// Its configuration: strategies, password rules, TLS modes.
export {
  DEFAULT_EXCLUDE_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  loadRotationConfig,
  SSL_MODES,
  STRATEGIES,
  type RotationStrategy,
  type SslMode,
} from './config.js';
export { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from './version-stages.js';
// Shared with db-bootstrap/: the secret's clone suffix, SCRAM verifiers, connections, errors.
export { CLONE_SUFFIX } from './secret-fields.js';
export { computeScramVerifier } from './scram-verifier.js';
export { pgSslOptions, UNREACHABLE_CODES } from './db-connection.js';
export { PG16, serverVersion } from './roles.js';
export { awsErrorName, errorMessage, sqlState } from './errors.js';
