/**
 * Run-time fault injection for the endpoint: latency, 5xx errors, throttling and outages, each
 * optionally limited to some operations, to a fraction of calls and to a time window.
 *
 * Several faults can be active at once: the delays of every matching latency fault add up, then the
 * first matching error/throttle/outage fault (in the order they were set) answers instead of the
 * operation.
 */
import { ServiceError } from './service-error.js';

export type FaultKind = 'latency' | 'error' | 'throttle' | 'outage';

export interface FaultScope {
  /** Only these operations (e.g. ["GetSecretValue"]); all operations when absent. */
  operations?: string[];
  /** Only calls signed with these access key ids (one principal's view of an outage); all when absent. */
  callers?: string[];
  /** Fraction of matching calls affected, 0..1; 1 when absent. */
  probability?: number;
  /** The fault ends this long after it was set; it lasts until cleared when absent. */
  durationMs?: number;
}

export type FaultSpec =
  | (FaultScope & { kind: 'latency'; latencyMs: number })
  /** InternalServiceError is HTTP 500, ServiceUnavailable HTTP 503 (default InternalServiceError). */
  | (FaultScope & { kind: 'error'; errorType?: 'InternalServiceError' | 'ServiceUnavailable' })
  /** ThrottlingException, HTTP 400, which the SDKs retry with backoff. */
  | (FaultScope & { kind: 'throttle' })
  /**
   * `hang` (default): the request is held unanswered until the fault ends, then served if the client
   * is still waiting, so clients see their own timeouts. `reset`: the connection is destroyed at once.
   */
  | (FaultScope & { kind: 'outage'; mode?: 'hang' | 'reset' });

export type ActiveFault = FaultSpec & {
  id: string;
  setAt: string;
  expiresAt?: string;
  /** Calls this fault has affected so far. */
  hits: number;
};

export type FaultEffect =
  | { kind: 'error'; fault: ActiveFault; error: ServiceError }
  | { kind: 'outage'; fault: ActiveFault; mode: 'hang' | 'reset' };

export interface FaultDecision {
  /** Total delay of the matching latency faults. */
  delayMs: number;
  /** What answers instead of the operation, if anything. */
  effect?: FaultEffect;
}

const KINDS: readonly FaultKind[] = ['latency', 'error', 'throttle', 'outage'];

export class FaultSpecError extends TypeError {
  override name = 'FaultSpecError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Validates a fault as given by a caller (object API or the HTTP control API). */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (!isRecord(value)) throw new FaultSpecError('A fault must be a JSON object.');
  const { kind, operations, callers, probability, durationMs } = value;
  if (typeof kind !== 'string' || !KINDS.includes(kind as FaultKind)) {
    throw new FaultSpecError(`"kind" must be one of ${KINDS.join(', ')}.`);
  }
  const scope: FaultScope = {};
  if (operations !== undefined) {
    if (!Array.isArray(operations) || !operations.every((op): op is string => typeof op === 'string')) {
      throw new FaultSpecError('"operations" must be a list of operation names.');
    }
    scope.operations = [...operations];
  }
  if (callers !== undefined) {
    if (!Array.isArray(callers) || !callers.every((c): c is string => typeof c === 'string')) {
      throw new FaultSpecError('"callers" must be a list of access key ids.');
    }
    scope.callers = [...callers];
  }
  if (probability !== undefined) {
    if (!nonNegativeNumber(probability) || probability > 1) {
      throw new FaultSpecError('"probability" must be a number from 0 to 1.');
    }
    scope.probability = probability;
  }
  if (durationMs !== undefined) {
    if (!nonNegativeNumber(durationMs) || durationMs === 0) {
      throw new FaultSpecError('"durationMs" must be a positive number.');
    }
    scope.durationMs = durationMs;
  }
  switch (kind as FaultKind) {
    case 'latency': {
      if (!nonNegativeNumber(value.latencyMs)) {
        throw new FaultSpecError('A latency fault needs "latencyMs" (a number of milliseconds, >= 0).');
      }
      return { ...scope, kind: 'latency', latencyMs: value.latencyMs };
    }
    case 'error': {
      const errorType = value.errorType ?? 'InternalServiceError';
      if (errorType !== 'InternalServiceError' && errorType !== 'ServiceUnavailable') {
        throw new FaultSpecError('"errorType" must be InternalServiceError or ServiceUnavailable.');
      }
      return { ...scope, kind: 'error', errorType };
    }
    case 'throttle':
      return { ...scope, kind: 'throttle' };
    case 'outage': {
      const mode = value.mode ?? 'hang';
      if (mode !== 'hang' && mode !== 'reset') throw new FaultSpecError('"mode" must be hang or reset.');
      return { ...scope, kind: 'outage', mode };
    }
  }
}

function errorFor(fault: ActiveFault): ServiceError | undefined {
  if (fault.kind === 'throttle') return new ServiceError('ThrottlingException', 'Rate exceeded');
  if (fault.kind !== 'error') return undefined;
  return fault.errorType === 'ServiceUnavailable'
    ? new ServiceError('ServiceUnavailable', 'The service is unavailable. Please try again later.')
    : new ServiceError('InternalServiceError', 'An error occurred on the server side.');
}

export class FaultController {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly active = new Map<
    string,
    { fault: ActiveFault; expiresAt?: number; timer?: NodeJS.Timeout }
  >();
  private readonly endWaiters = new Map<string, (() => void)[]>();
  private nextId = 1;

  /** `now` and `random` can be replaced in tests to control windows and probabilities. */
  constructor(options: { now?: () => number; random?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Adds a fault (several can be active at once) and returns it with its id. */
  set(spec: FaultSpec): ActiveFault {
    const parsed = parseFaultSpec(spec);
    const setAt = this.now();
    const fault: ActiveFault = {
      ...parsed,
      id: `fault-${this.nextId++}`,
      setAt: new Date(setAt).toISOString(),
      hits: 0,
    };
    const entry: { fault: ActiveFault; expiresAt?: number; timer?: NodeJS.Timeout } = { fault };
    if (parsed.durationMs !== undefined) {
      entry.expiresAt = setAt + parsed.durationMs;
      fault.expiresAt = new Date(entry.expiresAt).toISOString();
      // Ends the fault on time even when no request arrives, so held requests are released.
      entry.timer = setTimeout(() => this.remove(fault.id), parsed.durationMs);
      entry.timer.unref();
    }
    this.active.set(fault.id, entry);
    return { ...fault };
  }

  /** Clears one fault by id, or all of them; returns how many were cleared. */
  clear(id?: string): number {
    if (id !== undefined) return this.remove(id) ? 1 : 0;
    const ids = [...this.active.keys()];
    for (const faultId of ids) this.remove(faultId);
    return ids.length;
  }

  /** The faults in force now. */
  list(): ActiveFault[] {
    this.pruneExpired();
    return [...this.active.values()].map(({ fault }) => ({ ...fault }));
  }

  /** Decides what happens to one call of `operation` by `caller` (an access key id). */
  decide(operation: string, caller?: string): FaultDecision {
    this.pruneExpired();
    const decision: FaultDecision = { delayMs: 0 };
    for (const { fault } of this.active.values()) {
      if (fault.operations && !fault.operations.includes(operation)) continue;
      if (fault.callers && (caller === undefined || !fault.callers.includes(caller))) continue;
      if (fault.kind !== 'latency' && decision.effect) continue;
      if (fault.probability !== undefined && !(this.random() < fault.probability)) continue;
      fault.hits++;
      if (fault.kind === 'latency') {
        decision.delayMs += fault.latencyMs;
      } else if (fault.kind === 'outage') {
        decision.effect = { kind: 'outage', fault: { ...fault }, mode: fault.mode ?? 'hang' };
      } else {
        const error = errorFor(fault);
        if (error) decision.effect = { kind: 'error', fault: { ...fault }, error };
      }
    }
    return decision;
  }

  /** Resolves once the fault is no longer active (cleared, or its window is over). */
  whenEnded(id: string): Promise<void> {
    if (!this.active.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.endWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.endWaiters.set(id, waiters);
    });
  }

  private pruneExpired(): void {
    const now = this.now();
    for (const [id, entry] of this.active) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.remove(id);
    }
  }

  private remove(id: string): boolean {
    const entry = this.active.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.active.delete(id);
    const waiters = this.endWaiters.get(id) ?? [];
    this.endWaiters.delete(id);
    for (const resolve of waiters) resolve();
    return true;
  }
}
