/**
 * What the drill learns from each task's /health/ready while the load runs: pool swaps (the pool's
 * generation went up), adoptions (the credentials' version changed), unready answers, and the last
 * answer of each task, which the settle wait after the load and the progress line read.
 */
import type { ReadinessObservation } from '../load/index.js';
import type { AdoptionEvent, PoolSwapEvent } from './report.js';

interface ReadyBody {
  credentials?: { versionId?: string | null; username?: string | null; stage?: string | null };
  pool?: { generation?: number };
}

const bodyOf = (o: ReadinessObservation | undefined) => o?.body as ReadyBody | null | undefined;

export class ReadinessTracker {
  readonly swaps: PoolSwapEvent[] = [];
  readonly adoptions: AdoptionEvent[] = [];
  readonly observations: ReadinessObservation[] = [];
  /** Unready answers per task. */
  readonly unready: number[];
  readonly #last: (ReadinessObservation | undefined)[];
  readonly #generation = new Map<number, number>();
  readonly #version = new Map<number, string>();
  #onObservation: () => void = () => undefined;

  /** `t0`: when the load started (ms since the epoch), read at each observation: events are timed from it. */
  constructor(
    targets: number,
    private readonly t0: () => number,
  ) {
    this.unready = Array.from({ length: targets }, () => 0);
    this.#last = Array.from({ length: targets }, () => undefined);
  }

  /** TargetPool's onObservation. */
  readonly observe = (o: ReadinessObservation): void => {
    this.#last[o.target] = o;
    this.observations.push(o);
    if (!o.ready) this.unready[o.target] = (this.unready[o.target] ?? 0) + 1;
    const body = bodyOf(o);
    const generation = body?.pool?.generation;
    if (typeof generation === 'number') {
      const before = this.#generation.get(o.target);
      if (before !== undefined && generation > before)
        this.swaps.push({
          target: o.target,
          atMs: o.at - this.t0(),
          fromGeneration: before,
          toGeneration: generation,
        });
      this.#generation.set(o.target, generation);
    }
    const versionId = body?.credentials?.versionId;
    if (typeof versionId === 'string' && this.#version.get(o.target) !== versionId) {
      if (this.#version.has(o.target))
        this.adoptions.push({
          target: o.target,
          atMs: o.at - this.t0(),
          versionId,
          username: body?.credentials?.username ?? null,
        });
      this.#version.set(o.target, versionId);
    }
    this.#onObservation();
  };

  /** Every task but the skipped ones last reported `versionId` as AWSCURRENT. */
  allOn(versionId: string, skip: (target: number) => boolean = () => false): boolean {
    return this.#last.every((o, target) => {
      if (skip(target)) return true;
      const credentials = bodyOf(o)?.credentials;
      return credentials?.versionId === versionId && credentials.stage === 'AWSCURRENT';
    });
  }

  /** Resolves true at the first observation after which `condition` holds (or at once), false after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return true;
    const met = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      this.#onObservation = () => {
        if (!condition()) return;
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.#onObservation = () => undefined;
    return met;
  }

  /** One task's state for the progress line: `t1 ready app@1a2b3c4d #2`. */
  describeTasks(): string {
    return this.#last
      .map((o, i) => {
        const body = bodyOf(o);
        const state = o === undefined ? '?' : o.ready ? 'ready' : 'UNREADY';
        return `t${i + 1} ${state} ${body?.credentials?.username ?? '?'}@${(body?.credentials?.versionId ?? '').slice(0, 8)} #${body?.pool?.generation ?? '?'}`;
      })
      .join(' | ');
  }
}
