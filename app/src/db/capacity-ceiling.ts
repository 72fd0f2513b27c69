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
