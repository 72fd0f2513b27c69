/**
 * db-freeze: every PostgreSQL process (postmaster and all its children) is SIGSTOPped at 40 % of
 * the run for 12 s, then SIGCONTed: the database stops answering while every socket stays open, as
 * a failover or a network blackhole looks from the client. No rotation runs while it is frozen.
 * Expected: every request answered within the tasks' documented bound (DB_CONNECT_TIMEOUT_MS +
 * DB_QUERY_TIMEOUT_MS, plus a margin for a loaded machine), failures only as 503, readiness 503
 * during the freeze, back within 2 s of SIGCONT, no task process dies. The server is thawed in a
 * finally, also when anything throws, so a drill never leaves a stopped server behind.
 */
import type { DrillOptions } from '../options.js';
import { check, notRun, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';
import {
  allAlive,
  outageReadinessChecks,
  since,
  traceReadiness,
  type ReadinessTracer,
} from './readiness-trace.js';
import { failuresAround, rotationGapMs, shortestDuration, spreadOver } from './around-window.js';

const FREEZE_MS = 12_000;
const RECOVERY_TARGET_MS = 2000;
/** The tasks' bounds, set explicitly for the drill's tasks (the app's documented defaults). */
const CONNECT_TIMEOUT_MS = 5000;
const QUERY_TIMEOUT_MS = 3000;
/** Event-loop and scheduling slack on a busy 2-core machine, on top of the app's own bound. */
const BOUND_MARGIN_MS = 1000;
const ANSWER_BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + BOUND_MARGIN_MS;
/** Steady load before the freeze, and after recovery before the end of the run. */
const LEAD_MS = 5000;
const TAIL_MS = 3000;

function plan(o: DrillOptions) {
  const d = o.durationSeconds * 1000;
  const startMs = Math.max(0.4 * d, LEAD_MS);
  const endMs = startMs + FREEZE_MS;
  // Rotations (and each one's adoption by every task) before the freeze, or after the recovery.
  const gap = rotationGapMs(o);
  const rotations = spreadOver(
    o.rotations,
    [
      [0.1 * d, startMs - gap],
      [endMs + RECOVERY_TARGET_MS + 2000, 0.92 * d],
    ],
    gap,
  );
  const fits = rotations !== null && endMs + RECOVERY_TARGET_MS + TAIL_MS <= d;
  return { startMs, endMs, rotations, fits };
}

export function dbFreeze(): Fault {
  let frozeMs: number | undefined;
  let thawedMs: number | undefined;
  let stopped = 0;
  let tracer: ReadinessTracer | undefined;
  let alive: boolean[] = [];
  return {
    name: 'db-freeze',
    description: `every PostgreSQL process is SIGSTOPped at 40 % of the run for ${FREEZE_MS / 1000} s, then SIGCONTed (a database that stops answering); no rotation meanwhile`,
    taskEnv: {
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    },
    minDurationSeconds: (o) => shortestDuration(o, (x) => plan(x).fits),
    rotationTimesMs(o) {
      const p = plan(o);
      // Too short to fit (the drill refuses such a duration): keep every rotation before the freeze.
      return p.rotations ?? spreadOver(o.rotations, [[0.1 * p.startMs, 0.9 * p.startMs]], 0) ?? [];
    },
    async run(ctx: FaultContext) {
      const { startMs } = plan(ctx.options);
      if (!(await ctx.until(startMs))) return;
      const tasks = ctx.tasks();
      tracer = traceReadiness(
        tasks,
        () => ctx.now(),
        () => thawedMs,
        FREEZE_MS + 60_000,
      );
      let failure: Error | undefined;
      const froze = ctx.now();
      frozeMs = froze;
      try {
        stopped = await ctx.stack.postgres.freeze();
        ctx.say(`fault db-freeze: ${stopped} PostgreSQL processes stopped`);
        await new Promise((r) => setTimeout(r, Math.max(0, froze + FREEZE_MS - ctx.now())));
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      } finally {
        ctx.stack.postgres.thaw();
        thawedMs = ctx.now();
      }
      if (failure !== undefined) {
        await tracer.stop();
        throw failure;
      }
      ctx.say(`fault db-freeze: PostgreSQL continued after ${round(thawedMs - froze)} ms`);
      await Promise.race([tracer.done, ctx.until(ctx.options.durationSeconds * 1000)]);
      await tracer.stop();
      alive = allAlive(tasks);
    },
    evaluate(e: FaultEvidence) {
      const froze = frozeMs;
      const thawed = thawedMs;
      const traces = tracer?.traces ?? [];
      if (froze === undefined || thawed === undefined) {
        return notRun('db-freeze', this.description, 'the freeze ran', 'the load ended first');
      }
      // Answered: from the moment the request was actually sent to its answer (or the client's timeout).
      const answered = e.records.filter((r) => r.latencyMs !== null);
      const answerMs = (r: (typeof answered)[number]) => (r.latencyMs ?? 0) - r.sendLagMs;
      const overBound = answered.filter((r) => answerMs(r) > ANSWER_BOUND_MS);
      const slowest = answered.reduce((m, r) => Math.max(m, answerMs(r)), 0);
      const {
        allowed503: allowed,
        other: otherReasons,
        otherCount: others,
      } = failuresAround(e.records, froze, thawed + RECOVERY_TARGET_MS);
      const unready = since(traces, 'firstUnreadyMs', froze);
      const recovery = since(traces, 'readyAgainMs', thawed);
      return {
        name: 'db-freeze' as const,
        description: this.description,
        events: [
          { atMs: froze, label: 'PostgreSQL frozen (SIGSTOP)' },
          { atMs: thawed, label: 'PostgreSQL continued (SIGCONT)' },
        ],
        expectedFailures: allowed,
        figures: {
          frozenMs: round(thawed - froze),
          processesStopped: stopped,
          answerBoundMs: ANSWER_BOUND_MS,
          slowestAnswerMs: round(slowest),
          answersOverBound: overBound.length,
          failed503InFreeze: allowed,
          failedOtherwise: otherReasons,
          unreadyFromFreezeMs: unready,
          readinessRecoveryMs: recovery,
          unansweredReadinessPolls: traces.map((t) => t.unanswered),
        },
        checks: [
          check(
            'every PostgreSQL process was stopped',
            stopped >= 2,
            `${stopped} processes (postmaster and children)`,
          ),
          check(
            `every request answered within ${ANSWER_BOUND_MS} ms`,
            overBound.length === 0,
            `DB_CONNECT_TIMEOUT_MS ${CONNECT_TIMEOUT_MS} + DB_QUERY_TIMEOUT_MS ${QUERY_TIMEOUT_MS} + ${BOUND_MARGIN_MS} margin; ` +
              `slowest ${round(slowest)} ms, ${overBound.length} over`,
          ),
          check(
            'failures only as 503',
            others === 0,
            `${allowed} × 503 during the freeze; ${others} otherwise${
              others
                ? ` (${Object.entries(otherReasons)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')})`
                : ''
            }`,
          ),
          ...outageReadinessChecks(
            traces,
            alive,
            { startMs: froze, endMs: thawed, targetMs: RECOVERY_TARGET_MS },
            { during: 'freeze', start: 'SIGSTOP', end: 'SIGCONT' },
          ),
        ],
      };
    },
  };
}
