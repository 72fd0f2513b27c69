/**
 * db-restart: PostgreSQL shuts down (fast shutdown: every connection is closed) at 50 % of the run
 * and starts again 5 s later. Expected: readiness 503 while it is down, requests in the outage
 * answered with a clean 503 (nothing else fails), no task process dies, readiness back within 2 s
 * of the database accepting connections, every acknowledged write present afterwards.
 * Each task's readiness is polled every 50 ms from the shutdown until it is back, for the figure.
 */
import { rotationTimesMs, SCHEDULE_MARGIN_MS } from '../schedule.js';
import { notRun, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';
import { failuresAround } from './around-window.js';
import {
  allAlive,
  outageReadinessChecks,
  since,
  traceReadiness,
  type ReadinessTracer,
} from './readiness-trace.js';

const DOWN_MS = 5000;
const RECOVERY_TARGET_MS = 2000;

export function dbRestart(): Fault {
  let downMs: number | undefined;
  let upMs: number | undefined;
  let tracer: ReadinessTracer | undefined;
  let alive: boolean[] = [];
  const plan = (durationSeconds: number) => 0.5 * durationSeconds * 1000;
  return {
    name: 'db-restart',
    description: `PostgreSQL stops at 50 % of the run and starts again ${DOWN_MS / 1000} s later`,
    minDurationSeconds: () => (DOWN_MS + RECOVERY_TARGET_MS + SCHEDULE_MARGIN_MS) / 0.5 / 1000,
    rotationTimesMs(o) {
      // No rotation while the database is down: one scheduled near the outage runs just after it,
      // or just before it when the run is too short for that.
      const d = o.durationSeconds * 1000;
      const start = plan(o.durationSeconds);
      const after = start + DOWN_MS + 2000;
      const moved = after <= 0.9 * d ? after : Math.max(0.1 * d, start - 4000);
      return rotationTimesMs(o.rotations, o.durationSeconds).map((t) =>
        t > start - 3000 && t < start + DOWN_MS + 2000 ? moved : t,
      );
    },
    async run(ctx: FaultContext) {
      if (!(await ctx.until(plan(ctx.options.durationSeconds)))) return;
      const tasks = ctx.tasks();
      tracer = traceReadiness(
        tasks,
        () => ctx.now(),
        () => upMs,
        DOWN_MS + 60_000,
      );
      const down = ctx.now();
      downMs = down;
      await ctx.stack.postgres.stopServer();
      ctx.say('fault db-restart: PostgreSQL stopped');
      await new Promise((r) => setTimeout(r, Math.max(0, down + DOWN_MS - ctx.now())));
      await ctx.stack.postgres.startServer();
      const up = ctx.now();
      upMs = up;
      ctx.say(`fault db-restart: PostgreSQL accepting connections again after ${round(up - down)} ms`);
      await Promise.race([tracer.done, ctx.until(ctx.options.durationSeconds * 1000)]);
      await tracer.stop();
      alive = allAlive(tasks);
    },
    evaluate(e: FaultEvidence) {
      const down = downMs;
      const up = upMs;
      const traces = tracer?.traces ?? [];
      if (down === undefined || up === undefined) {
        return notRun('db-restart', this.description, 'the restart ran', 'the load ended first');
      }
      // 503s that ended during the outage or within the recovery target after it are the fault's.
      const expected = failuresAround(e.records, down, up + RECOVERY_TARGET_MS).allowed503;
      const recovery = since(traces, 'readyAgainMs', up);
      const unready = since(traces, 'firstUnreadyMs', down);
      const firstOk = e.taskLines.map((_, target) => {
        const ok = e.records
          .filter((r) => r.target === target && r.outcome === 'ok' && r.latencyMs !== null)
          .map((r) => r.intendedMs + (r.latencyMs ?? 0))
          .filter((end) => end >= up);
        return ok.length ? round(Math.min(...ok) - up) : null;
      });
      return {
        name: 'db-restart' as const,
        description: this.description,
        events: [
          { atMs: down, label: 'PostgreSQL down' },
          { atMs: up, label: 'PostgreSQL up' },
        ],
        expectedFailures: expected,
        figures: {
          downMs: round(up - down),
          failed503InOutage: expected,
          readinessRecoveryMs: recovery,
          firstOkRequestAfterUpMs: firstOk,
          unreadyFromShutdownMs: unready,
          unansweredReadinessPolls: traces.map((t) => t.unanswered),
        },
        checks: [
          ...outageReadinessChecks(
            traces,
            alive,
            { startMs: down, endMs: up, targetMs: RECOVERY_TARGET_MS },
            { during: 'outage', start: 'shutdown', end: 'the database' },
          ),
        ],
      };
    },
  };
}
