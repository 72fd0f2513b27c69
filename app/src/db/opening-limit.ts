import { EventEmitter, once } from 'node:events';
import type pg from 'pg';

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
  readonly #maxWaitMs: number;
  readonly #changes = new EventEmitter();
  #opening = 0;

  /** `maxWaitMs` bounds the wait for a turn; past it the checkout goes ahead (pg's own timeout still applies). */
  constructor(pool: pg.Pool, limit: number, maxWaitMs: number) {
    this.#pool = pool;
    this.#limit = limit;
    this.#maxWaitMs = maxWaitMs;
    this.#changes.setMaxListeners(0);
    pool.on('release', () => this.#changes.emit('change'));
  }

  /** Connections being opened right now through this limit. */
  get opening(): number {
    return this.#opening;
  }

  async connect(connect: () => Promise<pg.PoolClient> = () => this.#pool.connect()): Promise<pg.PoolClient> {
    const signal = AbortSignal.timeout(this.#maxWaitMs);
    while (this.#wouldOpen() && this.#opening >= this.#limit && !signal.aborted) {
      await once(this.#changes, 'change', { signal }).catch(() => undefined);
    }
    if (!this.#wouldOpen()) return connect();
    this.#opening++;
    try {
      return await connect();
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
