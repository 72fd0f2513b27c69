import type pg from 'pg';

/**
 * How many connections one pool may open, learned from the server. A refusal for capacity
 * (SQLSTATE 53300: max_connections or the role's CONNECTION LIMIT) lowers the pool's `max` to the
 * connections it already has, so further work queues for those instead of being refused too; each
 * `relaxMs` without a refusal gives one back, up to the configured size. pg-pool reads `options.max`
 * on every checkout, so the ceiling applies at once.
 */
export class CapacityCeiling {
  readonly #pool: pg.Pool;
  readonly #configured: number;
  readonly #relaxMs: number;
  #changedAt = 0;

  constructor(pool: pg.Pool, configured: number, relaxMs: number) {
    this.#pool = pool;
    this.#configured = configured;
    this.#relaxMs = relaxMs;
  }

  get current(): number {
    return this.#pool.options.max;
  }

  /** The server refused a connection for capacity: stop at what the pool holds (at least one). */
  refused(now: number): number {
    const ceiling = Math.max(1, Math.min(this.current, this.#pool.totalCount));
    this.#pool.options.max = ceiling;
    this.#changedAt = now;
    return ceiling;
  }

  /** One more connection allowed per quiet `relaxMs`, up to the configured pool size. */
  relax(now: number): void {
    if (this.current >= this.#configured || now - this.#changedAt < this.#relaxMs) return;
    this.#pool.options.max = this.current + 1;
    this.#changedAt = now;
  }
}
