/** The bootstrap's one error type; messages name what is wrong, never a password. */
import { errorMessage, sqlState } from '../rotation/public.js';

/** Thrown for every bootstrap failure; the message names what is wrong, never a password. */
export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
  /** SQLSTATE when the cause was a PostgreSQL error. */
  readonly code: string | undefined;
  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

export function describeConnectError(err: unknown, who: string, database: string): BootstrapError {
  const code = sqlState(err);
  return new BootstrapError(
    `could not connect to database "${database}" as ${who}: ${errorMessage(err)}${code ? ` (SQLSTATE ${code})` : ''}`,
    { code, cause: err },
  );
}
