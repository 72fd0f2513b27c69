/**
 * Which operations each caller made. The caller is the access key id of the SigV4 credential scope;
 * a record holds the secret's id as the caller gave it, never a secret value.
 */
import type { FaultKind } from './faults.js';

export interface CallRecord {
  /** ISO time the request arrived. */
  time: string;
  /** Access key id from the Authorization header, or "anonymous". */
  caller: string;
  operation: string;
  /** SecretId (or Name for CreateSecret) as sent, when the operation names one secret. */
  secretId?: string;
  /** ok: answered 200; error: answered with an error; dropped: the connection was reset or abandoned. */
  outcome: 'ok' | 'error' | 'dropped';
  /** Exception name (the `__type` sent back) when outcome is error. */
  errorType?: string;
  /** HTTP status sent back, when there was an answer. */
  status?: number;
  /** The injected fault that decided the outcome, or "latency" when only a delay was added. */
  fault?: FaultKind;
  durationMs: number;
}

/** Caller recorded for a request that carries no SigV4 credential. */
export const ANONYMOUS_CALLER = 'anonymous';

/**
 * Access key id from `Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/<service>/aws4_request, ...`.
 * No signature verification: this endpoint trusts every caller and only needs to tell them apart.
 */
export function callerFromAuthorization(header: string | undefined): string {
  const match = header ? /Credential=([^/,\s]+)\//.exec(header) : null;
  return match?.[1] ?? ANONYMOUS_CALLER;
}

export class CallLog {
  private records: CallRecord[] = [];
  private readonly limit: number;

  /** Keeps the newest `limit` records. */
  constructor(options: { limit?: number } = {}) {
    this.limit = options.limit ?? 10_000;
  }

  record(entry: CallRecord): void {
    this.records.push(entry);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
  }

  /** Oldest first; optionally only one caller's and/or one operation's calls. */
  list(filter: { caller?: string; operation?: string } = {}): CallRecord[] {
    return this.records
      .filter(
        (r) =>
          (filter.caller === undefined || r.caller === filter.caller) &&
          (filter.operation === undefined || r.operation === filter.operation),
      )
      .map((r) => ({ ...r }));
  }

  clear(): void {
    this.records = [];
  }

  /** caller → operation → number of calls. */
  byCaller(): Record<string, Record<string, number>> {
    const counts: Record<string, Record<string, number>> = {};
    for (const { caller, operation } of this.records) {
      const perOperation = (counts[caller] ??= {});
      perOperation[operation] = (perOperation[operation] ?? 0) + 1;
    }
    return counts;
  }
}
