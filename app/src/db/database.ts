import type { QueryResult, QueryResultRow } from 'pg';

/** The part of a pg client that domain code may use. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface TransactionOptions {
  /**
   * The work is safe to run again even after it committed, because it guards itself (for example
   * with a unique idempotency key and ON CONFLICT). A connection lost during COMMIT is then redone
   * instead of surfacing as {@link CommitOutcomeUnknownError}: the redo finds what the first commit
   * wrote, or writes it.
   */
  idempotent?: boolean;
}

/**
 * What routes see of the database. The implementation hides the rotating pool: which role is in
 * use, pool swaps and retries on authentication failure are invisible here.
 */
export interface Database {
  /** Read-only work. Retried on a fresh connection if the connection is lost, since a read has no effect. */
  read<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * One transaction (BEGIN … COMMIT). Retried only when the failure happened before COMMIT was sent:
   * the server rolls back an unfinished transaction, so nothing was written. A failure during COMMIT
   * is ambiguous and surfaces as {@link CommitOutcomeUnknownError}, unless `options.idempotent`.
   */
  transaction<T>(work: (q: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** No usable connection could be had in time (DB down, credentials unusable). Maps to 503. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** The connection dropped while COMMIT was in flight: the write may or may not exist. Maps to 503. */
export class CommitOutcomeUnknownError extends Error {
  override readonly name = 'CommitOutcomeUnknownError';
}
