/**
 * The open-model load generator: request i is due at start + i / rate, whatever happened to the
 * requests before it (no waiting for answers, so a stalled server cannot slow the generator down
 * and hide its stall). Latency is measured from the intended send time, not from the moment the
 * request left: a request that waited behind a stall carries that wait (no coordinated omission).
 *
 * Dropped: a request is dropped, never sent, and counted against the verdict when
 *   - it could not be sent within `maxLateMs` of its intended time (the generator itself fell
 *     behind, e.g. its event loop was blocked; sending it anyway would measure the generator), or
 *   - `maxInFlight` requests were already waiting for an answer (the server is so far behind that
 *     piling on more would only measure the pile).
 * Failed: sent, and answered with a status other than the request's `expect`, or a network error,
 * or no complete answer within `timeoutMs`.
 */
import type { Agent } from 'node:http';
import { createAgent, exchange } from './http-client.js';
import type { AcknowledgedWrite, DropReason, RequestRecord } from './records.js';
import type { PreparedRequest, RequestMix } from './scenario.js';
import type { TargetPool } from './targets.js';

export interface OpenModelOptions {
  rate: number;
  durationMs: number;
  mix: RequestMix;
  targets: TargetPool;
  /** Default 200 ms. */
  maxLateMs?: number;
  /** Default 1000. */
  maxInFlight?: number;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  /** Hard cap on scheduled requests; default rate × duration (+1). Never above 5 000 000. */
  maxRequests?: number;
  /** Clock in ms (default performance.timeOrigin + performance.now()). */
  now?: () => number;
  /** Intended time 0 on that clock (default: now). Runs given the same start keep one schedule. */
  startAt?: number;
  /**
   * Keep a record per request and every acknowledged write (default true: the drill and the bench
   * analyse them afterwards). A run of unbounded length (the demo) counts through takeTick() instead.
   */
  keepRecords?: boolean;
  /** Each request once its outcome is known: answered (ok or failed) or dropped. */
  onSettled?: (record: RequestRecord) => void;
}

export const HARD_REQUEST_CAP = 5_000_000;

/** When request `seq` is due, in ms from the start. */
export function intendedOffsetMs(seq: number, rate: number): number {
  return (seq * 1000) / rate;
}

/** How many requests a run schedules. */
export function scheduledCount(rate: number, durationMs: number, maxRequests?: number): number {
  const n = Math.ceil((rate * durationMs) / 1000);
  return Math.min(n, maxRequests ?? n, HARD_REQUEST_CAP);
}

/** The dropped rule (see the module comment), as a pure function. */
export function dropReason(input: {
  lateMs: number;
  inFlight: number;
  maxLateMs: number;
  maxInFlight: number;
}): DropReason | undefined {
  if (input.lateMs > input.maxLateMs) return 'late';
  if (input.inFlight >= input.maxInFlight) return 'in-flight-cap';
  return undefined;
}

export interface TickStats {
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  latenciesMs: number[];
}

export interface OpenModelRun {
  /** ms since the epoch of intended time 0. */
  readonly startedAt: number;
  /** Every request, in order (none kept when keepRecords is false). */
  readonly records: RequestRecord[];
  readonly writes: AcknowledgedWrite[];
  inFlight(): number;
  /** What completed (or was dropped) since the last call: for a progress line. */
  takeTick(): TickStats;
  /** Resolves when every scheduled request was sent or dropped and every answer is in. */
  readonly done: Promise<void>;
  /** Stops scheduling new requests; `done` then resolves once in-flight ones finish. */
  stop(): void;
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function startOpenModel(options: OpenModelOptions): OpenModelRun {
  const clock = options.now ?? now;
  const maxLateMs = options.maxLateMs ?? 200;
  const maxInFlight = options.maxInFlight ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = scheduledCount(options.rate, options.durationMs, options.maxRequests);
  const agent: Agent = createAgent(maxInFlight);
  const keep = options.keepRecords ?? true;
  const records: RequestRecord[] = [];
  const writes: AcknowledgedWrite[] = [];
  const pending = new Set<Promise<void>>();
  let tick: TickStats = { sent: 0, ok: 0, failed: 0, dropped: 0, latenciesMs: [] };
  let seq = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const startedAt = options.startAt ?? clock();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const finishIfDone = () => {
    if ((stopped || seq >= total) && pending.size === 0) {
      agent.destroy();
      resolveDone();
    }
  };

  const send = (request: PreparedRequest, record: RequestRecord, intendedAt: number) => {
    const base = options.targets.urls[record.target];
    if (base === undefined) return;
    const p = exchange(agent, new URL(request.path, base), {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
      timeoutMs,
      keepBody: request.idempotencyKey !== undefined || request.capture !== undefined,
    }).then((answer) => {
      record.latencyMs = Math.round((clock() - intendedAt) * 1000) / 1000;
      if (answer.status !== undefined) record.status = answer.status;
      if (answer.status === request.expect) {
        record.outcome = 'ok';
        tick.ok++;
        onSuccess(request, record, answer.body);
      } else {
        record.outcome = 'failed';
        record.reason = answer.error ?? `status ${answer.status ?? '?'}`;
        tick.failed++;
      }
      tick.latenciesMs.push(record.latencyMs);
      options.onSettled?.(record);
    });
    const tracked = p.finally(() => {
      pending.delete(tracked);
      finishIfDone();
    });
    pending.add(tracked);
  };

  const onSuccess = (request: PreparedRequest, record: RequestRecord, body: string | undefined) => {
    if (body === undefined) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = parsed.id;
    if (keep && request.idempotencyKey !== undefined && (typeof id === 'number' || typeof id === 'string')) {
      writes.push({
        id: String(id),
        idempotencyKey: request.idempotencyKey,
        target: record.target,
        intendedMs: record.intendedMs,
      });
    }
    options.mix.captureAnswer(request, parsed);
  };

  const dispatchDue = () => {
    const t = clock();
    while (!stopped && seq < total) {
      const offset = intendedOffsetMs(seq, options.rate);
      const intendedAt = startedAt + offset;
      if (intendedAt > t) break;
      const request = options.mix.next();
      const lateMs = t - intendedAt;
      const record: RequestRecord = {
        seq,
        name: request.name,
        target: -1,
        intendedMs: Math.round(offset * 1000) / 1000,
        sendLagMs: Math.round(lateMs * 1000) / 1000,
        latencyMs: null,
        outcome: 'dropped',
      };
      seq++;
      if (keep) records.push(record);
      const reason = dropReason({ lateMs, inFlight: pending.size, maxLateMs, maxInFlight });
      if (reason !== undefined) {
        record.reason = reason;
        tick.dropped++;
        options.onSettled?.(record);
        continue;
      }
      record.target = options.targets.pick();
      record.outcome = 'failed'; // until an answer says otherwise
      tick.sent++;
      send(request, record, intendedAt);
    }
    if (stopped || seq >= total) {
      finishIfDone();
      return;
    }
    const wait = Math.max(0, startedAt + intendedOffsetMs(seq, options.rate) - clock());
    timer = setTimeout(dispatchDue, Math.min(wait, 50));
  };

  timer = setTimeout(dispatchDue, 0);

  return {
    startedAt,
    records,
    writes,
    done,
    inFlight: () => pending.size,
    takeTick() {
      const t = tick;
      tick = { sent: 0, ok: 0, failed: 0, dropped: 0, latenciesMs: [] };
      return t;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      finishIfDone();
    },
  };
}
