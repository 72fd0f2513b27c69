/**
 * Concurrent callers of `run(key, work)` share one execution per key: the first starts it, the
 * rest await the same promise. Ten lines; no library needed for this.
 */
export class SingleFlight {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#inFlight.get(key);
    if (existing) return existing as Promise<T>;
    const started = work().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** Whether any execution is under way: a property read, for paths that run per request. */
  get idle(): boolean {
    return this.#inFlight.size === 0;
  }

  /** The execution under way for `key`, if any (to wait for it without starting one). */
  pending(key: string): Promise<unknown> | undefined {
    return this.#inFlight.get(key);
  }
}
