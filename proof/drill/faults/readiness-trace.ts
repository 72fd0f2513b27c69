/**
 * Each task's /health/ready polled every 50 ms around a database outage of a fault, for its figures:
 * when readiness first failed, and when it was back after the database was (`recoveredAt()`), per task.
 */
import type { AppProcess } from '../../../local/app-process.js';
import { check, round, type FaultCheck } from './fault.js';

export const READINESS_POLL_MS = 50;

export interface ReadinessTrace {
  /** ms from the start of the load. */
  firstUnreadyMs: number | null;
  readyAgainMs: number | null;
  /** Polls with no answer within 1 s (a task that died or hung). */
  unanswered: number;
}

export interface ReadinessTracer {
  traces: ReadinessTrace[];
  /** Resolves once every task is ready again after recoveredAt() (or the deadline passed). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Polls until each task was unready and then ready again at or after `recoveredAt()` (ms from the
 * start of the load; undefined while the outage lasts), or for `deadlineMs` at most.
 */
export function traceReadiness(
  tasks: readonly AppProcess[],
  now: () => number,
  recoveredAt: () => number | undefined,
  deadlineMs: number,
): ReadinessTracer {
  const traces: ReadinessTrace[] = tasks.map(() => ({
    firstUnreadyMs: null,
    readyAgainMs: null,
    unanswered: 0,
  }));
  let polling = true;
  const deadline = Date.now() + deadlineMs;
  const pollers = tasks.map(async (task, i) => {
    const trace = traces[i] as ReadinessTrace;
    while (polling && Date.now() < deadline) {
      const at = now();
      const status = await fetch(`${task.url}/health/ready`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.status)
        .catch(() => null);
      if (status === null) trace.unanswered++;
      if (status !== 200 && trace.firstUnreadyMs === null) trace.firstUnreadyMs = at;
      const recovered = recoveredAt();
      if (status === 200 && recovered !== undefined && at >= recovered && trace.firstUnreadyMs !== null) {
        trace.readyAgainMs = at;
        return;
      }
      await new Promise((r) => setTimeout(r, READINESS_POLL_MS));
    }
  });
  const done = Promise.all(pollers).then(() => undefined);
  return {
    traces,
    done,
    async stop() {
      polling = false;
      await done;
    },
  };
}

/** ms from `fromMs` to each trace's field, null where it never happened. */
export const since = (
  traces: readonly ReadinessTrace[],
  field: 'firstUnreadyMs' | 'readyAgainMs',
  fromMs: number,
) =>
  traces.map((t) => {
    const at = t[field];
    return at === null ? null : round(at - fromMs);
  });

/** Every started task still running. */
export const allAlive = (tasks: readonly AppProcess[]): boolean[] =>
  tasks.map((t) => t.child.exitCode === null && t.child.signalCode === null);

const perTask = (xs: readonly (number | null)[]) =>
  xs.map((x) => (x === null ? 'never' : `${x} ms`)).join(', ');

/**
 * The readiness checks of a database outage: every task failed readiness during it, came back
 * within `targetMs` of the database, and no task died. `words` name the outage's two moments.
 */
export function outageReadinessChecks(
  traces: readonly ReadinessTrace[],
  alive: readonly boolean[],
  outage: { startMs: number; endMs: number; targetMs: number },
  words: { during: string; start: string; end: string },
): FaultCheck[] {
  const unready = since(traces, 'firstUnreadyMs', outage.startMs);
  const recovery = since(traces, 'readyAgainMs', outage.endMs);
  return [
    check(
      `readiness failed during the ${words.during}`,
      traces.length > 0 && traces.every((t) => t.firstUnreadyMs !== null && t.firstUnreadyMs <= outage.endMs),
      `first 503 after ${words.start} per task: ${perTask(unready)}`,
    ),
    check(
      `readiness back within ${outage.targetMs} ms of ${words.end}`,
      recovery.length > 0 && recovery.every((x) => x !== null && x <= outage.targetMs),
      `per task: ${perTask(recovery)}`,
    ),
    check(
      'no task process died',
      alive.length > 0 && alive.every(Boolean) && traces.every((t) => t.unanswered === 0),
      `alive ${alive.filter(Boolean).length}/${alive.length}, unanswered readiness polls ${traces.reduce((s, t) => s + t.unanswered, 0)}`,
    ),
  ];
}
