/** Names the bootstrap writes into SQL and into the secrets. */
import { BootstrapError } from './errors.js';

// Lower-case, unquoted-safe identifiers: the same spelling works quoted and unquoted, in SQL and in
// the secret. 57 characters leave room for the `_clone` suffix within PostgreSQL's 63-byte limit.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
export const MAX_IDENTIFIER_LENGTH = 63;

export function validateIdentifier(kind: string, value: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  if (!IDENTIFIER.test(value) || value.length > maxLength) {
    throw new BootstrapError(
      `invalid ${kind} name "${value}": use lower-case letters, digits and _ (starting with a letter or _), at most ${maxLength} characters`,
    );
  }
  if (value.startsWith('pg_')) {
    throw new BootstrapError(`invalid ${kind} name "${value}": the pg_ prefix is reserved`);
  }
  return value;
}
