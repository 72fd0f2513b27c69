import type { Logger } from 'pino';
import { errorName } from './util/error-name.js';
import type { Database } from './db/database.js';
import { forgetExpiredKeys } from './domain/orders.js';
import { jittered } from './util/backoff.js';

const SWEEP_INTERVAL_MS = 3_600_000; // hourly: keys live for hours, a sweep's delay costs nothing
const SWEEP_JITTER = 0.2; // ±20 %, so a fleet's tasks do not sweep together
const SWEEP_BATCH = 500; // keys per statement: short transactions, short row locks
const SWEEP_MAX_BATCHES = 20; // per sweep: a backlog is worked off over several sweeps, never in one long burst

export interface IdempotencyRetentionOptions {
  db: Database;
  retentionHours: number;
  logger: Logger;
  /** Between sweeps (±20 % jitter, so a fleet's tasks do not sweep together). Default one hour. */
  intervalMs?: number;
  /** Keys cleared per statement: short transactions, short row locks. Default 500. */
  batch?: number;
  /** Statements per sweep at most; the rest waits for the next sweep. Default 20. */
  maxBatches?: number;
}

/**
 * Keeps orders' Idempotency-Keys from growing forever: every interval, keys older than the
 * retention are cleared in small batches (the orders stay). Requests do not depend on it: an
 * expired key is treated as unknown even before the sweep reaches it.
 */
export class IdempotencyRetention {
  readonly #opts: Required<IdempotencyRetentionOptions>;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: IdempotencyRetentionOptions) {
    this.#opts = {
      intervalMs: SWEEP_INTERVAL_MS,
      batch: SWEEP_BATCH,
      maxBatches: SWEEP_MAX_BATCHES,
      ...options,
    };
  }

  /** The first sweep comes one (jittered) interval after start: restarts do not add sweeps. */
  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** One sweep; how many keys it cleared. Never throws (a database outage waits for the next one). */
  async sweep(): Promise<number> {
    const { db, retentionHours, batch, maxBatches, logger } = this.#opts;
    let cleared = 0;
    try {
      for (let i = 0; i < maxBatches && !this.#stopped; i++) {
        const n = await db.transaction((q) => forgetExpiredKeys(q, retentionHours, batch));
        cleared += n;
        if (n < batch) break;
      }
      if (cleared > 0) logger.info({ cleared, retentionHours }, 'expired Idempotency-Keys cleared');
    } catch (err) {
      logger.warn({ code: errorName(err), cleared }, 'Idempotency-Key sweep failed; retrying next interval');
    }
    return cleared;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        void this.sweep().finally(() => {
          this.#schedule();
        });
      },
      jittered(this.#opts.intervalMs, SWEEP_JITTER),
    );
    this.#timer.unref();
  }
}
