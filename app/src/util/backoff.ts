export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** No delay grows beyond this. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": the delay for attempt n (0-based) lies in
 * [e/2, e] where e = min(maxMs, baseMs·2ⁿ). Half is fixed so retries never bunch up at zero;
 * half is random so many processes retrying together spread out.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return exponential / 2 + random() * (exponential / 2);
}

/** A period with ±fraction jitter, so a fleet's periodic calls do not line up. */
export function jittered(periodMs: number, fraction: number, random: () => number = Math.random): number {
  return periodMs * (1 - fraction + 2 * fraction * random());
}
