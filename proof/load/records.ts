/** What the load generator keeps of each request. */
export type Outcome = 'ok' | 'failed' | 'dropped';

export type DropReason = 'late' | 'in-flight-cap';

export interface RequestRecord {
  seq: number;
  name: string;
  /** Index of the target it went to; -1 when dropped. */
  target: number;
  /** Intended send time, ms from the start of the load. */
  intendedMs: number;
  /** How late it was actually sent, ms. */
  sendLagMs: number;
  /** From the intended send time to the end of the answer (or the error); null when dropped. */
  latencyMs: number | null;
  outcome: Outcome;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** Why it failed (status, error name, timeout) or was dropped. */
  reason?: string;
}

/** A write the API acknowledged with 2xx, to look for in the database afterwards. */
export interface AcknowledgedWrite {
  id: string;
  idempotencyKey: string;
  target: number;
  intendedMs: number;
}
