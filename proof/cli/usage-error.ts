/**
 * A bad command line: the message names every problem (empty for `--help`); the CLI prints it
 * with its usage text and exits 2, without a stack trace.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
