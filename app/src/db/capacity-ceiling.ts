import pTimeout from 'p-timeout';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { sleep } from '../util/sleep.js';
import { DatabaseUnavailableError } from './database.js';

/** Waiting for room on a server that refused a connection for capacity, while the pool holds none. */
const CAPACITY_BACKOFF = { baseMs: 50, maxMs: 500 };

export interface CeilingSettings {
  /** The configured pool size (DB_POOL_MAX). */
  configured: number;
  /** One connection is given back per this long without a refusal. */
  relaxMs: number;
  /** The pool's usual idle timeout, restored once the ceiling is back at the configured size. */
  idleMs: number;
  /** While the server is short of connections, an idle one goes back to it after this long. */
  scarceIdleMs: number;
  /**
   * Connections the process's other pools still hold (an old pool draining after a swap): this
   * pool opens no more than the configured size less those, so a swap under load does not hold
   * two pools' worth at once. None when not given.
   */
  heldElsewhere?: () => number;
}

/**
 * How many connections one pool may open: learned from the server, and shared with the pools the
 * process is still draining. A refusal for capacity
 * (SQLSTATE 53300: max_connections or the role's CONNECTION LIMIT) lowers the pool's `max` to the
 * connections it already has, so further work queues for those instead of being refused too; each
 * `relaxMs` without a refusal gives one back, up to the configured size. While the ceiling is
 * below that size, idle connections go back to the server quickly: other tasks of the fleet and the
 * rotation function (which logs in as the app's users) need slots too. pg-pool reads `max` and
 * `idleTimeoutMillis` at each checkout and release, so both apply at once.
 */
export class CapacityCeiling {
  readonly #pool: pg.Pool;
  readonly #settings: CeilingSettings;
  /** What the server allows, as learned from its refusals. */
  #learned: number;
  #changedAt = 0;

  constructor(pool: pg.Pool, settings: CeilingSettings) {
    this.#pool = pool;
    this.#settings = settings;
    this.#learned = settings.configured;
    this.apply();
  }

  /** The most connections the pool may hold now. */
  get current(): number {
    return this.#pool.options.max;
  }

  /** The server refused a connection for capacity: stop at what the pool holds (at least one). */
  refused(now: number): number {
    this.#learned = Math.max(1, Math.min(this.#learned, this.#pool.totalCount));
    this.#pool.options.idleTimeoutMillis = this.#settings.scarceIdleMs;
    this.#changedAt = now;
    this.apply();
    return this.current;
  }

  /** One more connection allowed per quiet `relaxMs`, up to the configured pool size. */
  relax(now: number): void {
    const { configured, relaxMs, idleMs } = this.#settings;
    if (this.#learned >= configured || now - this.#changedAt < relaxMs) return;
    this.#learned++;
    if (this.#learned >= configured) this.#pool.options.idleTimeoutMillis = idleMs;
    this.#changedAt = now;
    this.apply();
  }

  /**
   * Sets the pool's `max`: the learned ceiling, less what other pools hold, at least one (work can
   * always wait for a connection of its own). Called again whenever either changes.
   */
  apply(): void {
    const { configured, heldElsewhere } = this.#settings;
    const room = configured - (heldElsewhere?.() ?? 0);
    this.#pool.options.max = Math.max(1, Math.min(this.#learned, room));
  }
}

/** The capacity wait ran out while queued for one of the pool's own connections. */
export class CapacityWaitExpired extends Error {
  override readonly name = 'CapacityWaitExpired';
}

/**
 * pool.connect() bounded by `ms` (pg-pool's own timeout is per pool, not per call). A connection
 * that arrives after the bound goes straight back to the pool.
 */
export async function connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  const connecting = pool.connect();
  try {
    return await pTimeout(connecting, {
      // p-timeout takes a positive bound only: a deadline already past gives the pool a millisecond.
      milliseconds: Math.max(1, ms),
      message: new CapacityWaitExpired(`no pooled connection came free within ${Math.round(ms)} ms`),
    });
  } catch (err) {
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

export interface CapacityWait {
  metrics: Metrics;
  logger: Logger;
  random?: (() => number) | undefined;
  /** Capacity refusals so far in this checkout, this one included. */
  refusals: number;
  /** When the checkout gives up (ms since the epoch): the connect timeout after it began. */
  giveUpAt: number;
}

/**
 * The server refused one of a pool's new connections for capacity: the pool stops at what it holds,
 * so the next attempt queues for one of those; holding none, it first waits for the server to free
 * a slot. Throws a 503's error once the checkout's time is up.
 */
export async function waitAfterCapacityRefusal(
  err: unknown,
  target: { pool: pg.Pool; ceiling: CapacityCeiling; username: string },
  wait: CapacityWait,
): Promise<void> {
  const { metrics, logger, refusals, giveUpAt } = wait;
  metrics.connectionRefusals.inc({ reason: 'capacity' });
  const before = target.ceiling.current;
  const ceiling = target.ceiling.refused(Date.now());
  if (ceiling < before)
    logger.warn(
      { code: (err as { code?: string }).code, username: target.username, ceiling },
      'database refused a connection for capacity; waiting for the pool’s own connections',
    );
  if (Date.now() >= giveUpAt) {
    metrics.connectionAcquireFailures.inc({ reason: 'capacity' });
    throw new DatabaseUnavailableError('database connection limit reached', { cause: err });
  }
  if (target.pool.totalCount === 0)
    await sleep(
      Math.min(backoffDelay(refusals - 1, CAPACITY_BACKOFF, wait.random), Math.max(0, giveUpAt - Date.now())),
    );
}
