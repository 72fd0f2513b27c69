/**
 * Errors the rotation function throws. Their messages name what is wrong (a field, a user, a host,
 * a secret ARN) and never carry a secret value: Lambda writes them to CloudWatch and Secrets Manager
 * shows them in the rotation status.
 */

/** A rotation step cannot go on; the message is what the AWS templates say, where they say something. */
export class RotationError extends Error {
  override readonly name: string = 'RotationError';
  /** SQLSTATE or AWS error name of the cause, when there was one. */
  readonly code: string | undefined;
  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** A secret's JSON is not what the rotation function needs; the message names the field, never its value. */
export class SecretFieldError extends RotationError {
  override readonly name = 'SecretFieldError';
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The function's environment is invalid; every problem is listed, each naming its variable. */
export class RotationConfigError extends RotationError {
  override readonly name = 'RotationConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid rotation function configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** The AWS error name (`ResourceNotFoundException`, ...) of an SDK error, if any. */
export function awsErrorName(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** SQLSTATE of a PostgreSQL error, if any. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
