import { EventEmitter, once } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import pTimeout from 'p-timeout';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { ActiveCredentials, CredentialStore } from '../credentials/credential-store.js';
import type { DbCredentials } from '../credentials/secret-shape.js';
import { errorName } from '../util/error-name.js';
import { AWSPENDING, AWSPREVIOUS } from '../credentials/stages.js';
import type { Metrics, PoolStats } from '../metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { SingleFlight } from '../util/single-flight.js';
import { sleep } from '../util/sleep.js';
import {
  CommitOutcomeUnknownError,
  DatabaseUnavailableError,
  type Database,
  type Queryable,
  type TransactionOptions,
} from './database.js';
import { CapacityCeiling } from './capacity-ceiling.js';
import {
  isAuthFailure,
  isCapacityRefusal,
  isConnectionLost,
  isInsufficientResources,
  isPoolTimeout,
  isQueryTimeout,
  wasNeverSent,
} from './pg-errors.js';

export interface RotatingPoolOptions {
  store: CredentialStore;
  db: AppConfig['db'];
  ssl: false | ConnectionOptions;
  logger: Logger;
  metrics: Metrics;
  applicationName?: string;
  random?: () => number;
}

export interface PoolSwap {
  from: string;
  to: string;
  generation: number;
  warmed: number;
}

interface Generation {
  pool: pg.Pool;
  generation: number;
  /** Who this pool connects as; a change of any of these needs a new pool. */
  identity: string;
  username: string;
  /** The newest password known for this pool's user; new connections read it. */
  password: string;
  ceiling: CapacityCeiling;
}

/** Between connection attempts after a refused login: quick at first (the new password may be a moment away), bounded. */
const AUTH_RETRY_BACKOFF = { baseMs: 100, maxMs: 2000 };
/** Recoveries (up to three Secrets Manager calls each) for one rejected version are this far apart at least. */
const RECOVERY_MIN_INTERVAL_MS = 1000;
/** Waiting for room on a server that refused a connection for capacity, while the pool holds none. */
const CAPACITY_BACKOFF = { baseMs: 50, maxMs: 500 };
/** A pool's learned ceiling gives one connection back per this long without a capacity refusal. */
const CAPACITY_RELAX_MS = 5000;
/** An idle connection goes back to the server after this; short enough to shrink after a burst, long enough to reuse. */
const IDLE_TIMEOUT_MS = 30_000;
/** While the server is short of connections, idle ones go back to it this soon. */
const SCARCE_IDLE_TIMEOUT_MS = 1000;
/** How often checkouts are looked at for one held suspiciously long (a silent server), and a lowered ceiling relaxed. */
const SCAN_MS = 250;
/** A draining pool's queued waiters are served until the connect timeout plus this, then left to give up. */
const QUEUE_DRAIN_GRACE_MS = 1000;
/** Each connection lives between this fraction and all of maxLifetimeSeconds, so a burst does not expire as one. */
const MIN_LIFETIME_FRACTION = 0.8;
/** First TCP keepalive probe on an idle connection: a vanished peer is noticed within seconds, not hours. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** On a pool client: when it was last handed out (ms since the epoch), 0 once it came back. */
const CHECKED_OUT_AT = Symbol('checkedOutAt');
type PooledClient = pg.PoolClient & { [CHECKED_OUT_AT]?: number };

const identityOf = (c: DbCredentials) => `${c.username}@${c.host}:${c.port}/${c.dbname}`;

/**
 * The database as routes see it, over a pool that follows the secret:
 * - a new password needs no new pool: pg reads `password` through a callback on every new connection;
 * - a new username (alternating users) builds a new pool, warms part of the old one's load, swaps it in
 *   and drains the old one (make before break), the two sharing one pool size of connections;
 * - a connection refused for bad credentials triggers one shared refresh, then AWSPENDING and
 *   AWSPREVIOUS, with bounded jittered retries. Only acquiring a connection is retried, never a
 *   statement that may have taken effect.
 */
export interface PoolEvents {
  swap: [PoolSwap];
  /** An old pool finished: every checked-out client came back and its connections closed. */
  drained: [{ generation: number; username: string }];
  /**
   * Work failed for want of a connection (refused, timed out, or lost on every attempt); never for
   * rejected credentials. The health cycle re-probes at once, so readiness follows a database outage.
   */
  unavailable: [{ code: string }];
  /** A checkout has been held longer than the probe timeout: the server may have gone silent. */
  stalled: [{ heldMs: number }];
}

export class RotatingPool extends EventEmitter<PoolEvents> implements Database {
  readonly #opts: RotatingPoolOptions;
  readonly #flights = new SingleFlight();
  readonly #draining = new Set<Promise<void>>();
  /** Old pools still closing their connections: the active pool's ceiling leaves room for theirs. */
  readonly #drainingGenerations = new Set<Generation>();
  #active: Generation;
  #generations = 0;
  #swapChain: Promise<void> = Promise.resolve();
  #closed = false;
  #lastRecovery: { versionId: string; at: number } | undefined;
  /** Versions the database has refused (a few per day: one per rotation at most), never trusted again. */
  readonly #refused = new Set<string>();
  /** Every open connection of every pool, current and draining: the stall scan looks at their checkouts. */
  readonly #clients = new Set<PooledClient>();
  readonly #scan: NodeJS.Timeout;
  #lastStallNotice = 0;

  constructor(options: RotatingPoolOptions) {
    super();
    this.#opts = options;
    this.#active = this.#createGeneration(options.store.active.credentials);
    options.store.on('change', () => void this.ensureCurrent());
    options.metrics.setPoolStats(() => this.stats());
    this.#scan = setInterval(() => {
      const now = Date.now();
      this.#active.ceiling.relax(now);
      this.#noticeStall(now);
    }, SCAN_MS);
    this.#scan.unref();
  }

  get username(): string {
    return this.#active.username;
  }

  stats(): PoolStats {
    const { pool, generation, ceiling } = this.#active;
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
      .then(() => this.#swapIfNeeded())
      .catch((err: unknown) => {
        this.#opts.logger.error({ code: errorName(err) }, 'pool swap failed');
      });
    return this.#swapChain;
  }

  /** Stop: wait for checked-out clients on every pool, old and current. */
  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#scan);
    await this.#swapChain;
    this.#drain(this.#active);
    await Promise.all(this.#draining);
  }

  /** A client from #acquire back to its pool; `broken` closes it instead. */
  #release(client: PooledClient, broken: boolean): void {
    client[CHECKED_OUT_AT] = 0;
    client.release(broken);
  }

  /**
   * Work normally holds a connection for milliseconds. One held past the probe timeout asks the
   * health cycle for a probe, so readiness follows a server that stopped answering within about two
   * probe timeouts instead of waiting for the query timeout.
   */
  #noticeStall(now: number): void {
    const every = this.#opts.db.probeTimeoutMs;
    if (now - this.#lastStallNotice < every) return; // at most one probe request per probe timeout
    let oldest = now;
    for (const client of this.#clients) {
      const since = client[CHECKED_OUT_AT];
      if (since) oldest = Math.min(oldest, since);
    }
    const heldMs = now - oldest;
    if (heldMs < every) return;
    this.#lastStallNotice = now;
    this.emit('stalled', { heldMs });
  }

  async #acquire(): Promise<pg.PoolClient> {
    const { store, metrics, logger, db } = this.#opts;
    const startedAt = Date.now();
    const giveUpAt = startedAt + db.authRetrySeconds * 1000;
    const capacityGiveUpAt = startedAt + db.connectTimeoutMs;
    let capacityRefusals = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new DatabaseUnavailableError('database pool is closed');
      // While the version in use is being recovered from a refusal, a new connection with its
      // password would be refused too: wait for the recovery and connect with what it found.
      if (!this.#flights.idle) await this.#recoveryOfActiveVersion();
      const generation = this.#active;
      const versionId = store.active.versionId;
      try {
        const client: PooledClient =
          capacityRefusals === 0
            ? await generation.pool.connect()
            : await connectWithin(generation.pool, capacityGiveUpAt - Date.now());
        client[CHECKED_OUT_AT] = Date.now();
        return client;
      } catch (err) {
        if (isAuthFailure(err)) {
          metrics.authFailureRetries.inc();
          logger.warn(
            { code: (err as { code?: string }).code, username: generation.username, versionId, attempt },
            'database rejected the credentials; refreshing',
          );
          const triedCandidate = await this.#recoverFromAuthFailure(versionId);
          if (Date.now() >= giveUpAt) {
            metrics.authFailureRecoveries.inc({ outcome: 'exhausted' });
            metrics.connectionAcquireFailures.inc({ reason: 'auth' });
            throw new DatabaseUnavailableError('database credentials rejected and no usable version found', {
              cause: err,
            });
          }
          const moved = this.#active !== generation || store.active.versionId !== versionId;
          // Back off only when nothing is left to try: no newer version, no candidate untried.
          if (!moved && !triedCandidate)
            await sleep(backoffDelay(attempt, AUTH_RETRY_BACKOFF, this.#opts.random));
          continue;
        }
        if (isCapacityRefusal(err)) {
          capacityRefusals++;
          metrics.connectionRefusals.inc({ reason: 'capacity' });
          const before = generation.ceiling.current;
          const ceiling = generation.ceiling.refused(Date.now());
          if (ceiling < before)
            logger.warn(
              { code: (err as { code?: string }).code, username: generation.username, ceiling },
              'database refused a connection for capacity; waiting for the pool’s own connections',
            );
          if (Date.now() >= capacityGiveUpAt) {
            metrics.connectionAcquireFailures.inc({ reason: 'capacity' });
            throw new DatabaseUnavailableError('database connection limit reached', { cause: err });
          }
          // Nothing of ours to wait for: the server must free a slot first.
          if (generation.pool.totalCount === 0)
            await sleep(
              Math.min(
                backoffDelay(capacityRefusals - 1, CAPACITY_BACKOFF, this.#opts.random),
                Math.max(0, capacityGiveUpAt - Date.now()),
              ),
            );
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

  /**
   * One recovery for every caller that hit the same rejected version. True when it tried a candidate
   * version (so retrying at once, without a backoff, is worthwhile).
   */
  #recoverFromAuthFailure(failedVersionId: string): Promise<boolean> {
    return this.#flights.run(authFlightKey(failedVersionId), async () => {
      // While nothing works, retries keep failing: ask Secrets Manager at most once per interval.
      const last = this.#lastRecovery;
      if (last?.versionId === failedVersionId && Date.now() - last.at < RECOVERY_MIN_INTERVAL_MS)
        return false;
      this.#lastRecovery = { versionId: failedVersionId, at: Date.now() };
      if (this.#refused.size >= 64) this.#refused.clear();
      this.#refused.add(failedVersionId);
      const { store, metrics } = this.#opts;
      const triedCandidate = await this.#findWorkingVersion(failedVersionId);
      const recovered = store.active.versionId !== failedVersionId;
      metrics.authFailureRecoveries.inc({ outcome: recovered ? 'recovered' : 'retry' });
      return triedCandidate;
    });
  }

  /** The body of one recovery: true when it tried a candidate version. */
  async #findWorkingVersion(failedVersionId: string): Promise<boolean> {
    const { store } = this.#opts;
    // A rotation the health cycle saw under way: its AWSPENDING version is already read, so a
    // single-user window costs no Secrets Manager call and no backoff.
    const held = store.readAhead;
    if (held && held.versionId !== failedVersionId && (await this.#tryCandidate(held))) return true;
    const outcome = await store.refreshAfterAuthFailure(failedVersionId);
    if (outcome === 'changed') {
      await this.ensureCurrent();
      return true;
    }
    if (outcome !== 'unchanged') return held !== undefined; // Secrets Manager unreachable: cached values only
    // AWSCURRENT is what failed. A single-user rotation between setSecret and finishSecret has
    // already given the database the AWSPENDING password; a rolled-back one may leave AWSPREVIOUS.
    let tried = held !== undefined;
    for (const stage of [AWSPENDING, AWSPREVIOUS] as const) {
      const candidate = await store.candidate(stage);
      if (!candidate || candidate.versionId === failedVersionId || candidate.versionId === held?.versionId)
        continue;
      tried = true;
      if (await this.#tryCandidate(candidate)) return true;
    }
    return tried;
  }

  /**
   * Adopts a candidate version once it is credible. The database refusing AWSCURRENT while a
   * rotation's AWSPENDING names the same user is the single-user window itself: that candidate is
   * adopted at once, and the connections waiting on the recovery use it straight away (a version
   * the database has refused before is never trusted this way). Any other candidate (another user,
   * AWSPREVIOUS) must log in first.
   */
  async #tryCandidate(candidate: ActiveCredentials): Promise<boolean> {
    const { store } = this.#opts;
    const trusted =
      candidate.stage === AWSPENDING &&
      identityOf(candidate.credentials) === identityOf(store.active.credentials) &&
      !this.#refused.has(candidate.versionId);
    if (!trusted && !(await this.#canLogIn(candidate))) return false;
    store.adopt(candidate, `auth-fallback-${candidate.stage}`);
    await this.ensureCurrent();
    return true;
  }

  async #canLogIn(candidate: ActiveCredentials): Promise<boolean> {
    const client = new pg.Client(this.#clientConfig(candidate.credentials, candidate.credentials.password));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      this.#opts.logger.info(
        { stage: candidate.stage, versionId: candidate.versionId, code: errorName(err) },
        'fallback credentials did not log in',
      );
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async #swapIfNeeded(): Promise<void> {
    const target = this.#opts.store.active.credentials;
    const old = this.#active;
    if (this.#closed || identityOf(target) === old.identity) return;
    const startedAt = performance.now();
    const next = this.#createGeneration(target);
    // Warmed connections are held beside the old pool's whole load, so warm a quarter of what it has
    // in use, rounded down (at least one, verified: make before break). After the swap the old pool
    // serves what was queued on it, then closes its connections as their work ends, within
    // milliseconds under load; the new pool opens one more for each it closes (#drain), so the two
    // together hold the pool size plus the warmed ones at most, not twice the pool.
    const inUse = old.pool.totalCount - old.pool.idleCount;
    const warmCount = Math.max(1, Math.min(Math.floor(inUse / 4), this.#opts.db.poolMax));
    const warmed = await this.#warm(next, warmCount);
    if (warmed < 0) {
      void next.pool.end();
      return; // keep serving on the old pool; the next cycle tries again
    }
    this.#active = next;
    this.#drain(old);
    this.#opts.metrics.poolSwaps.inc();
    this.#opts.metrics.poolSwapDuration.observe((performance.now() - startedAt) / 1000);
    const swap: PoolSwap = { from: old.username, to: next.username, generation: next.generation, warmed };
    this.#opts.logger.info(swap, 'database pool swapped; draining the old one');
    this.emit('swap', swap);
  }

  /**
   * Open and verify `count` connections on the new pool before it takes traffic; how many it could.
   * Capacity refusals (the server or the role is at its connection limit) leave it warmed to what
   * the server allows: the swap goes ahead and the old pool's connections come back to the server as
   * it drains. -1 when the new credentials cannot be used at all (the old pool keeps serving).
   */
  async #warm(next: Generation, count: number): Promise<number> {
    const attempts = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const client = await next.pool.connect();
        try {
          await client.query('SELECT 1');
        } finally {
          client.release();
        }
      }),
    );
    const warmed = attempts.filter((a) => a.status === 'fulfilled').length;
    const failures = attempts
      .filter((a): a is PromiseRejectedResult => a.status === 'rejected')
      .map((a) => a.reason as unknown);
    if (failures.length === 0) return warmed;
    if (failures.every(isCapacityRefusal)) {
      const ceiling = next.ceiling.refused(Date.now());
      this.#opts.metrics.connectionRefusals.inc({ reason: 'capacity' }, failures.length);
      this.#opts.logger.warn(
        { username: next.username, warmed, wanted: count, ceiling },
        'database connection limit reached while warming; swapping with what the server allows',
      );
      return warmed;
    }
    if (warmed > 0) return warmed;
    this.#opts.logger.error(
      { username: next.username, code: errorName(failures[0]) },
      'new pool could not be warmed; keeping the current pool',
    );
    return -1;
  }

  #drain(generation: Generation): void {
    // Each connection the old pool closes makes room for one on the active pool (capacity-ceiling.ts).
    const makeRoom = () => {
      this.#active.ceiling.apply();
    };
    this.#drainingGenerations.add(generation);
    generation.pool.on('remove', makeRoom);
    makeRoom();
    const drained = this.#serveQueued(generation.pool)
      .then(() => generation.pool.end())
      .catch((err: unknown) => {
        this.#opts.logger.warn({ code: errorName(err) }, 'error while draining a pool');
      })
      .then(() => {
        const event = { generation: generation.generation, username: generation.username };
        this.#drainingGenerations.delete(generation);
        makeRoom();
        this.#opts.logger.info(event, 'pool drained');
        this.#draining.delete(drained);
        this.emit('drained', event);
      });
    this.#draining.add(drained);
  }

  /** Connections held by the pools being drained, other than `generation`'s own. */
  #heldByOthers(generation: Generation): number {
    let held = 0;
    for (const g of this.#drainingGenerations) if (g !== generation) held += g.pool.totalCount;
    return held;
  }

  /**
   * Requests already queued on a pool are handed its connections as they come back. pg-pool's end()
   * would strand them until connectionTimeoutMillis, so end() waits until the queue is empty (each
   * waiter is served, or gives up at that same timeout).
   */
  async #serveQueued(pool: pg.Pool): Promise<void> {
    const signal = AbortSignal.timeout(this.#opts.db.connectTimeoutMs + QUEUE_DRAIN_GRACE_MS);
    while (pool.waitingCount > 0 && !signal.aborted) {
      await once(pool, 'acquire', { signal }).catch(() => undefined);
    }
  }

  #createGeneration(credentials: DbCredentials): Generation {
    const generation: Generation = {
      pool: undefined as unknown as pg.Pool,
      generation: ++this.#generations,
      identity: identityOf(credentials),
      username: credentials.username,
      password: credentials.password,
      ceiling: undefined as unknown as CapacityCeiling,
    };
    const lifetime = this.#opts.db.maxLifetimeSeconds;
    const random = this.#opts.random ?? Math.random;
    generation.pool = new pg.Pool({
      ...this.#clientConfig(credentials, () => this.#passwordFor(generation)),
      max: this.#opts.db.poolMax,
      maxLifetimeSeconds: lifetime,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      // Connections opened together (after a failover, a mass disconnect, a pool swap) would all
      // expire together and reconnect as one burst: each gets a lifetime between 80 % and 100 % of
      // the setting. pg-pool reads the setting right after this hook, for the connection just made.
      onConnect: () => {
        generation.pool.options.maxLifetimeSeconds =
          lifetime * (MIN_LIFETIME_FRACTION + (1 - MIN_LIFETIME_FRACTION) * random());
      },
    });
    generation.ceiling = new CapacityCeiling(generation.pool, {
      configured: this.#opts.db.poolMax,
      relaxMs: CAPACITY_RELAX_MS,
      idleMs: IDLE_TIMEOUT_MS,
      scarceIdleMs: SCARCE_IDLE_TIMEOUT_MS,
      heldElsewhere: () => this.#heldByOthers(generation),
    });
    generation.pool.on('error', (err) => {
      this.#opts.logger.warn(
        { code: errorName(err), generation: generation.generation },
        'idle connection lost',
      );
    });
    // pg-pool listens for a client's 'error' only while the client is idle. A checked-out client
    // whose backend ends between statements emits 'error' too, and unhandled that ends the process:
    // one listener for the life of each connection instead of one per checkout.
    generation.pool.on('connect', (client: PooledClient) => {
      this.#clients.add(client);
      client.on('error', (err) => {
        if (!client[CHECKED_OUT_AT]) return; // idle: the pool's 'error' above says so
        this.#opts.logger.warn(
          { code: errorName(err), generation: generation.generation },
          'checked-out connection lost',
        );
      });
    });
    generation.pool.on('remove', (client) => {
      this.#clients.delete(client);
    });
    return generation;
  }

  /** Resolves once no recovery from a refusal of the version in use is under way (at once when none is). */
  async #recoveryOfActiveVersion(): Promise<void> {
    const recovering = this.#flights.pending(authFlightKey(this.#opts.store.active.versionId));
    if (recovering) await recovering.catch(() => undefined);
  }

  /** Every new physical connection asks here, so a new password needs no new pool. */
  async #passwordFor(generation: Generation): Promise<string> {
    const { store } = this.#opts;
    if (identityOf(store.active.credentials) === generation.identity) {
      // The server just refused this version and a recovery is looking for the one that works: a
      // connection made now waits for its answer instead of being refused too (a burst of doomed
      // SCRAM handshakes would slow the recovery down).
      await this.#recoveryOfActiveVersion();
    }
    const current = store.active.credentials;
    if (identityOf(current) === generation.identity) generation.password = current.password;
    return generation.password;
  }

  #clientConfig(credentials: DbCredentials, password: string | (() => Promise<string>)): pg.PoolConfig {
    return {
      host: credentials.host,
      port: credentials.port,
      database: credentials.dbname,
      user: credentials.username,
      password,
      ssl: this.#opts.ssl,
      connectionTimeoutMillis: this.#opts.db.connectTimeoutMs,
      // A server that stops answering costs a statement at most this; the connection is then discarded.
      query_timeout: this.#opts.db.queryTimeoutMs,
      // A peer that vanished (failover, network cut) is noticed on idle connections too.
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      application_name: this.#opts.applicationName ?? 'orders-api',
      options: `-c search_path=${this.#opts.db.schema}`,
    };
  }
}

const authFlightKey = (versionId: string) => `auth:${versionId}`;

/** The capacity wait ran out while queued for one of the pool's own connections. */
class CapacityWaitExpired extends Error {
  override readonly name = 'CapacityWaitExpired';
}

/**
 * pool.connect() bounded by `ms` (pg-pool's own timeout is per pool, not per call). A connection
 * that arrives after the bound goes straight back to the pool.
 */
async function connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  const connecting = pool.connect();
  try {
    return await pTimeout(connecting, {
      // p-timeout takes a positive bound only: a deadline already past gives the pool a millisecond.
      milliseconds: Math.max(1, ms),
      message: new CapacityWaitExpired(`no pooled connection came free within ${Math.round(ms)} ms`),
    });
  } catch (err) {
    // A connection that comes free after the deadline goes back to the pool.
    if (err instanceof CapacityWaitExpired)
      connecting.then(
        (client) => {
          client.release();
        },
        () => undefined,
      );
    throw err;
  }
}

/** SQLSTATE class 53 from a statement (disk full, out of memory): the database cannot serve now, a 503. */
function asUnavailableIfOutOfResources(err: unknown): unknown {
  return isInsufficientResources(err)
    ? new DatabaseUnavailableError('the database is out of resources', { cause: err })
    : err;
}
