import type pg from 'pg';

export interface CeilingSettings {
  /** The configured pool size (DB_POOL_MAX). */
  configured: number;
  /** One connection is given back per this long without a refusal. */
  relaxMs: number;
  /** The pool's usual idle timeout, restored once the ceiling is back at the configured size. */
  idleMs: number;
  /** While the server is short of connections, an idle one goes back to it after this long. */
  scarceIdleMs: number;
}

/**
 * How many connections one pool may open, learned from the server. A refusal for capacity
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
  #changedAt = 0;

  constructor(pool: pg.Pool, settings: CeilingSettings) {
    this.#pool = pool;
    this.#settings = settings;
  }

  get current(): number {
    return this.#pool.options.max;
  }

  /** The server refused a connection for capacity: stop at what the pool holds (at least one). */
  refused(now: number): number {
    const ceiling = Math.max(1, Math.min(this.current, this.#pool.totalCount));
    this.#pool.options.max = ceiling;
    this.#pool.options.idleTimeoutMillis = this.#settings.scarceIdleMs;
    this.#changedAt = now;
    return ceiling;
  }

  /** One more connection allowed per quiet `relaxMs`, up to the configured pool size. */
  relax(now: number): void {
    const { configured, relaxMs, idleMs } = this.#settings;
    if (this.current >= configured || now - this.#changedAt < relaxMs) return;
    this.#pool.options.max = this.current + 1;
    if (this.#pool.options.max >= configured) this.#pool.options.idleTimeoutMillis = idleMs;
    this.#changedAt = now;
  }
}
