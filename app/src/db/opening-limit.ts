import { EventEmitter, once } from 'node:events';
import type pg from 'pg';
import { checkoutWithin } from './bounded-checkout.js';

/** No turn to open a connection, and none came back, within the checkout's budget. */
export class OpeningTurnExpired extends Error {
  override readonly name = 'OpeningTurnExpired';
}

/**
 * At most `limit` new connections being opened by one pool at a time; a checkout that would open
 * one more waits for a connection to come back or for an opening to finish, whichever is first.
 *
 * pg-pool opens a connection for every checkout that finds none idle, so after a mass disconnect
 * (failover, pg_terminate_backend, a password the server just refused) every queued request starts
 * its own handshake at once: a burst of backend starts and SCRAM exchanges that slows every one of
 * them, and, when the password was refused, a burst of doomed ones. Work holds a connection for
 * milliseconds, so a few fresh connections serve the queue sooner than many slow ones (HikariCP
 * opens its connections one at a time for the same reason).
 */
export class OpeningLimit {
  readonly #pool: pg.Pool;
  readonly #limit: number;
  readonly #changes = new EventEmitter();
  #opening = 0;

  constructor(pool: pg.Pool, limit: number) {
    this.#pool = pool;
    this.#limit = limit;
    this.#changes.setMaxListeners(0);
    pool.on('release', () => this.#changes.emit('change'));
  }

  /** Connections being opened right now through this limit. */
  get opening(): number {
    return this.#opening;
  }

  /**
   * A checkout within `budgetMs`, the wait for a turn included: a request never waits longer for
   * a connection than it would without the limit (the server frozen, every turn taken by a
   * handshake that hangs until pg's connect timeout).
   */
  async connect(budgetMs: number): Promise<pg.PoolClient> {
    const startedAt = performance.now();
    const signal = AbortSignal.timeout(budgetMs);
    while (this.#wouldOpen() && this.#opening >= this.#limit) {
      if (signal.aborted)
        throw new OpeningTurnExpired(`no connection came free or opened within ${budgetMs} ms`);
      await once(this.#changes, 'change', { signal }).catch(() => undefined);
    }
    const waitedMs = performance.now() - startedAt;
    const opens = this.#wouldOpen();
    // pg-pool's own connect timeout starts now: a turn that came late gets what is left of the budget.
    const checkout = (): Promise<pg.PoolClient> =>
      waitedMs < 1
        ? this.#pool.connect()
        : checkoutWithin(
            this.#pool.connect(),
            budgetMs - waitedMs,
            () => new OpeningTurnExpired(`no connection within ${budgetMs} ms`),
          );
    if (!opens) return checkout();
    this.#opening++;
    try {
      return await checkout();
    } finally {
      this.#opening--;
      this.#changes.emit('change');
    }
  }

  /**
   * pg-pool opens a new connection for a checkout when the pool has room and no idle connection is
   * left for it: idle ones are handed to its queue (on the next tick), so only those beyond the
   * queue's length are free.
   */
  #wouldOpen(): boolean {
    const pool = this.#pool;
    return pool.idleCount <= pool.waitingCount && pool.totalCount < pool.options.max;
  }
}
