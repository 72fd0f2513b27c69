import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { CredentialStore } from '../credentials/credential-store.js';
import type { PoolStats } from '../metrics.js';
import { errorName } from '../util/error-name.js';
import { AuthRecovery } from './auth-recovery.js';
import { CapacityWaitExpired, connectWithin, waitAfterCapacityRefusal } from './capacity-ceiling.js';
import {
  CommitOutcomeUnknownError,
  DatabaseUnavailableError,
  type Database,
  type Queryable,
  type TransactionOptions,
} from './database.js';
import {
  isAuthFailure,
  isCapacityRefusal,
  isConnectionLost,
  isInsufficientResources,
  isPoolTimeout,
  isQueryTimeout,
  wasNeverSent,
} from './pg-errors.js';
import {
  checkedIn,
  checkedOut,
  identityOf,
  PoolGenerations,
  type Generation,
  type GenerationEvents,
  type GenerationsOptions,
} from './pool-generation.js';
import { watchCheckouts } from './stall-watch.js';

export type RotatingPoolOptions = Omit<GenerationsOptions, 'password'> & { store: CredentialStore };

export interface PoolEvents extends GenerationEvents {
  /**
   * Work failed for want of a connection (refused, timed out, or lost on every attempt); never for
   * rejected credentials. The health cycle re-probes at once, so readiness follows a database outage.
   */
  unavailable: [{ code: string }];
  /** A checkout has been held longer than the probe timeout: the server may have gone silent (stall-watch.ts). */
  stalled: [{ heldMs: number }];
}

/**
 * The database as routes see it, over a pool that follows the secret:
 * - a new password needs no new pool: pg reads `password` through a callback on every new connection;
 * - a new username (alternating users) builds a new pool and hands over to it, make before break
 *   (pool-generation.ts);
 * - a connection refused for bad credentials waits for one shared recovery (auth-recovery.ts), with
 *   bounded jittered retries. Only acquiring a connection is retried, never a statement that may
 *   have taken effect; work whose connection was lost before anything was committed is.
 */
export class RotatingPool extends EventEmitter<PoolEvents> implements Database {
  readonly #opts: RotatingPoolOptions;
  readonly #generations: PoolGenerations;
  readonly #recovery: AuthRecovery;
  readonly #stopWatch: () => void;
  #swapChain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: RotatingPoolOptions) {
    super();
    this.#opts = options;
    const { store, metrics, logger } = options;
    this.#generations = new PoolGenerations(
      { ...options, password: (generation) => this.#passwordFor(generation) },
      store.active.credentials,
    );
    this.#generations.on('swap', (swap) => this.emit('swap', swap));
    this.#generations.on('drained', (event) => this.emit('drained', event));
    this.#recovery = new AuthRecovery({
      store,
      metrics,
      logger,
      random: options.random,
      logIn: (credentials) => this.#generations.logIn(credentials),
      follow: () => this.ensureCurrent(),
    });
    store.on('change', () => void this.ensureCurrent());
    metrics.setPoolStats(() => this.stats());
    this.#stopWatch = watchCheckouts(this.#generations, options.db.probeTimeoutMs, (heldMs) =>
      this.emit('stalled', { heldMs }),
    );
  }

  get username(): string {
    return this.#generations.active.username;
  }

  stats(): PoolStats {
    const { pool, generation, ceiling } = this.#generations.active;
    return {
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      generation,
      ceiling: ceiling.current,
    };
  }

  /**
   * Attempts for work whose connection was lost before anything was committed. When the server
   * drops one connection (restart, pg_terminate_backend) it usually drops every idle one too; each
   * failed connection is discarded, so poolMax + 1 attempts always reach a fresh one.
   */
  get #maxWorkAttempts(): number {
    return this.#opts.db.poolMax + 1;
  }

  async read<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#acquire();
      let lost = false;
      try {
        return await work(client);
      } catch (err) {
        if (isQueryTimeout(err)) {
          lost = true; // a late answer may still arrive on it: never reuse it
          throw this.#unavailable('the database did not answer in time', err);
        }
        if (!isConnectionLost(err)) throw asUnavailableIfOutOfResources(err);
        lost = true;
        if (attempt >= this.#maxWorkAttempts) throw this.#unavailable('database connection lost', err);
        this.#opts.metrics.connectionRetries.inc({ kind: 'read' });
      } finally {
        this.#release(client, lost);
      }
    }
  }

  async transaction<T>(work: (q: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#acquire();
      let commitSent = false;
      let lost = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        commitSent = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (isQueryTimeout(err)) {
          // The server is silent. Closing the connection rolls back whatever was not committed; an
          // unanswered COMMIT may have taken effect.
          lost = true;
          if (commitSent) {
            this.emit('unavailable', { code: errorName(err) });
            throw new CommitOutcomeUnknownError('no answer to COMMIT within the query timeout', {
              cause: err,
            });
          }
          throw this.#unavailable('the database did not answer in time', err);
        }
        if (isConnectionLost(err)) {
          lost = true;
          // Before COMMIT the server rolls the transaction back: nothing was written, so it is safe to
          // redo. A COMMIT that reached the server may have taken effect: redo only idempotent work.
          const ambiguous = commitSent && !wasNeverSent(err);
          if (ambiguous && !options.idempotent) {
            throw new CommitOutcomeUnknownError('connection lost during COMMIT', { cause: err });
          }
          if (attempt >= this.#maxWorkAttempts) throw this.#unavailable('database connection lost', err);
          this.#opts.metrics.connectionRetries.inc({ kind: 'transaction' });
          continue;
        }
        await client.query('ROLLBACK').catch(() => {
          lost = true;
        });
        throw asUnavailableIfOutOfResources(err);
      } finally {
        this.#release(client, lost);
      }
    }
  }

  /**
   * A connection for work that changes session state (migrations run `SET ROLE`): it is closed
   * afterwards instead of going back to the pool.
   */
  async session<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#acquire();
    try {
      return await work(client);
    } finally {
      this.#release(client, true);
    }
  }

  /** Build and swap in a pool if the credentials in use name another user/host than the pool. */
  ensureCurrent(): Promise<void> {
    this.#swapChain = this.#swapChain
      .then(async () => {
        const target = this.#opts.store.active.credentials;
        if (this.#closed || identityOf(target) === this.#generations.active.identity) return;
        await this.#generations.handOver(target);
      })
      .catch((err: unknown) => {
        this.#opts.logger.error({ code: errorName(err) }, 'pool swap failed');
      });
    return this.#swapChain;
  }

  /** Stop: wait for checked-out clients on every pool, old and current. */
  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatch();
    await this.#swapChain;
    await this.#generations.end();
  }

  /** A client from #acquire back to its pool; `broken` closes it instead. */
  #release(client: pg.PoolClient, broken: boolean): void {
    checkedIn(client);
    client.release(broken);
  }

  async #acquire(): Promise<pg.PoolClient> {
    const { store, metrics, db } = this.#opts;
    const startedAt = Date.now();
    const giveUpAt = startedAt + db.authRetrySeconds * 1000;
    const capacityGiveUpAt = startedAt + db.connectTimeoutMs;
    let capacityRefusals = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new DatabaseUnavailableError('database pool is closed');
      // While the version in use is being recovered from a refusal, a new connection with its
      // password would be refused too: wait for the recovery and connect with what it found.
      if (!this.#recovery.idle) await this.#recovery.settled();
      const generation = this.#generations.active;
      const versionId = store.active.versionId;
      try {
        return checkedOut(
          capacityRefusals === 0
            ? await generation.pool.connect()
            : await connectWithin(generation.pool, capacityGiveUpAt - Date.now()),
        );
      } catch (err) {
        if (isAuthFailure(err)) {
          const moved = () => this.#generations.active !== generation || store.active.versionId !== versionId;
          await this.#recovery.afterRefusal(
            err,
            { versionId, username: generation.username, attempt, giveUpAt },
            moved,
          );
          continue;
        }
        if (isCapacityRefusal(err)) {
          capacityRefusals++;
          await waitAfterCapacityRefusal(err, generation, {
            ...this.#opts,
            refusals: capacityRefusals,
            giveUpAt: capacityGiveUpAt,
          });
          continue;
        }
        if (err instanceof CapacityWaitExpired) {
          metrics.connectionAcquireFailures.inc({ reason: 'capacity' });
          throw new DatabaseUnavailableError('database connection limit reached', { cause: err });
        }
        if (isPoolTimeout(err) || isConnectionLost(err)) {
          metrics.connectionAcquireFailures.inc({ reason: isPoolTimeout(err) ? 'timeout' : 'lost' });
          throw this.#unavailable('no database connection available', err);
        }
        metrics.connectionAcquireFailures.inc({ reason: 'other' });
        throw err;
      }
    }
  }

  #unavailable(message: string, cause: unknown): DatabaseUnavailableError {
    this.emit('unavailable', { code: errorName(cause) });
    return new DatabaseUnavailableError(message, { cause });
  }

  /** Every new physical connection asks here, so a new password needs no new pool. */
  async #passwordFor(generation: Generation): Promise<string> {
    const { store } = this.#opts;
    if (identityOf(store.active.credentials) === generation.identity) {
      // The server just refused this version and a recovery is looking for the one that works: a
      // connection made now waits for its answer instead of being refused too (a burst of doomed
      // SCRAM handshakes would slow the recovery down).
      await this.#recovery.settled();
    }
    const current = store.active.credentials;
    if (identityOf(current) === generation.identity) generation.password = current.password;
    return generation.password;
  }
}

/** SQLSTATE class 53 from a statement (disk full, out of memory): the database cannot serve now, a 503. */
function asUnavailableIfOutOfResources(err: unknown): unknown {
  return isInsufficientResources(err)
    ? new DatabaseUnavailableError('the database is out of resources', { cause: err })
    : err;
}
