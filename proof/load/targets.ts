/**
 * The targets (tasks) behind the load, as an ALB sees them: each one's `/health/ready` is polled
 * every 500 ms; requests go round-robin to the ready ones. When none is ready the ALB "fails open"
 * and routes to all of them, and so does this (counted as `failOpen`).
 */
import { assertLoopbackUrl } from './loopback.js';

export interface ReadinessObservation {
  target: number;
  /** ms since the epoch */
  at: number;
  ready: boolean;
  status: number | null;
  body: unknown;
}

export interface TargetPoolOptions {
  urls: readonly string[];
  pollIntervalMs?: number;
  timeoutMs?: number;
  onObservation?: (o: ReadinessObservation) => void;
}

export class TargetPool {
  readonly urls: URL[];
  readonly #ready: boolean[];
  /** Targets that are gone (a replaced task that exited): never polled or routed to again. */
  readonly #retired: boolean[];
  readonly #opts: TargetPoolOptions;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #polling = false;
  failOpen = 0;
  skipped = 0;

  constructor(options: TargetPoolOptions) {
    if (options.urls.length === 0) throw new Error('at least one target is needed');
    this.urls = options.urls.map((u) => assertLoopbackUrl(u));
    this.#ready = this.urls.map(() => true);
    this.#retired = this.urls.map(() => false);
    this.#opts = options;
  }

  /** A new target (a replacement task, as ECS registers it): routed to once a poll finds it ready. */
  async add(url: string): Promise<number> {
    const target = this.urls.push(assertLoopbackUrl(url)) - 1;
    this.#ready.push(false);
    this.#retired.push(false);
    await this.#poll(this.urls[target] as URL, target);
    return target;
  }

  /** Whether a target was deregistered for good. */
  isRetired(target: number): boolean {
    return this.#retired[target] ?? false;
  }

  /** Deregisters a target for good. */
  retire(target: number): void {
    this.#retired[target] = true;
    this.#ready[target] = false;
  }

  get readyFlags(): readonly boolean[] {
    return this.#ready;
  }

  /** Polls every target once, then every pollIntervalMs until stop(). */
  async start(): Promise<void> {
    await this.pollOnce();
    const tick = () => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        void this.pollOnce().finally(tick);
      }, this.#opts.pollIntervalMs ?? 500);
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async pollOnce(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      await Promise.all(this.urls.flatMap((url, i) => (this.#retired[i] ? [] : [this.#poll(url, i)])));
    } finally {
      this.#polling = false;
    }
  }

  async #poll(url: URL, target: number): Promise<void> {
    let status: number | null;
    let body: unknown = null;
    try {
      const res = await fetch(new URL('/health/ready', url), {
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 1000),
      });
      status = res.status;
      body = await res.json().catch(() => null);
    } catch {
      status = null;
    }
    const ready = status === 200;
    if (this.#retired[target]) return;
    this.#ready[target] = ready;
    this.#opts.onObservation?.({ target, at: Date.now(), ready, status, body });
  }

  /** The next target round-robin among the ready ones (all of them when none is ready). */
  pick(): number {
    const n = this.urls.length;
    const anyReady = this.#ready.some(Boolean);
    if (!anyReady) this.failOpen++;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      if (anyReady ? this.#ready[i] : !this.#retired[i]) {
        this.#next = i + 1;
        if (k > 0) this.skipped += k;
        return i;
      }
    }
    return 0;
  }
}
