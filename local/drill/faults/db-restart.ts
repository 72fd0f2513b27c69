/**
 * db-restart: PostgreSQL shuts down (fast shutdown: every connection is closed) at 50 % of the run
 * and starts again 5 s later. Expected: readiness 503 while it is down, requests in the outage
 * answered with a clean 503 (nothing else fails), no task process dies, readiness back within 2 s
 * of the database accepting connections, every acknowledged write present afterwards.
 * Each task's readiness is polled every 50 ms from the shutdown until it is back, for the figure.
 */
import { rotationTimesMs } from '../options.js';
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';

const DOWN_MS = 5000;
const RECOVERY_TARGET_MS = 2000;
const POLL_MS = 50;

interface TaskTrace {
  firstUnreadyMs: number | null;
  readyAgainMs: number | null;
  unanswered: number;
}

export function dbRestart(): Fault {
  let downMs: number | undefined;
  let upMs: number | undefined;
  let traces: TaskTrace[] = [];
  let alive: boolean[] = [];
  const plan = (durationSeconds: number) => 0.5 * durationSeconds * 1000;
  return {
    name: 'db-restart',
    description: `PostgreSQL stops at 50 % of the run and starts again ${DOWN_MS / 1000} s later`,
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
      traces = tasks.map(() => ({ firstUnreadyMs: null, readyAgainMs: null, unanswered: 0 }));
      let polling = true;
      const pollers = tasks.map(async (task, i) => {
        const trace = traces[i] as TaskTrace;
        const deadline = Date.now() + DOWN_MS + 60_000;
        while (polling && Date.now() < deadline) {
          const at = ctx.now();
          const status = await fetch(`${task.url}/health/ready`, { signal: AbortSignal.timeout(1000) })
            .then((r) => r.status)
            .catch(() => null);
          if (status === null) trace.unanswered++;
          if (status !== 200 && trace.firstUnreadyMs === null) trace.firstUnreadyMs = at;
          if (status === 200 && upMs !== undefined && trace.firstUnreadyMs !== null) {
            trace.readyAgainMs = at;
            return;
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      });
      const down = ctx.now();
      downMs = down;
      await ctx.stack.postgres.stopServer();
      ctx.say('fault db-restart: PostgreSQL stopped');
      await new Promise((r) => setTimeout(r, Math.max(0, down + DOWN_MS - ctx.now())));
      await ctx.stack.postgres.startServer();
      const up = ctx.now();
      upMs = up;
      ctx.say(`fault db-restart: PostgreSQL accepting connections again after ${round(up - down)} ms`);
      await Promise.race([Promise.all(pollers), ctx.until(ctx.options.durationSeconds * 1000)]);
      polling = false;
      await Promise.all(pollers);
      alive = tasks.map((t) => t.child.exitCode === null && t.child.signalCode === null);
    },
    evaluate(e: FaultEvidence) {
      const down = downMs;
      const up = upMs;
      if (down === undefined || up === undefined) {
        return {
          name: 'db-restart' as const,
          description: this.description,
          events: [],
          expectedFailures: 0,
          figures: {},
          checks: [check('the restart ran', false, 'the load ended first')],
        };
      }
      const inOutage = (endMs: number) => endMs >= down && endMs <= up + RECOVERY_TARGET_MS;
      let expected = 0;
      for (const r of e.records) {
        if (r.outcome !== 'failed' || r.latencyMs === null) continue;
        if (r.status === 503 && inOutage(r.intendedMs + r.latencyMs)) expected++;
      }
      const recovery = traces.map((t) => (t.readyAgainMs === null ? null : round(t.readyAgainMs - up)));
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
          unreadyFromShutdownMs: traces.map((t) =>
            t.firstUnreadyMs === null ? null : round(t.firstUnreadyMs - down),
          ),
          unansweredReadinessPolls: traces.map((t) => t.unanswered),
        },
        checks: [
          check(
            'readiness failed during the outage',
            traces.every((t) => t.firstUnreadyMs !== null && t.firstUnreadyMs <= up),
            `first 503 after shutdown per task: ${traces.map((t) => (t.firstUnreadyMs === null ? 'never' : `${round(t.firstUnreadyMs - down)} ms`)).join(', ')}`,
          ),
          check(
            `readiness back within ${RECOVERY_TARGET_MS} ms of the database`,
            recovery.every((x) => x !== null && x <= RECOVERY_TARGET_MS),
            `per task: ${recovery.map((x) => (x === null ? 'never' : `${x} ms`)).join(', ')}`,
          ),
          check(
            'no task process died',
            alive.length > 0 && alive.every(Boolean) && traces.every((t) => t.unanswered === 0),
            `alive ${alive.filter(Boolean).length}/${alive.length}, unanswered readiness polls ${traces.reduce((s, t) => s + t.unanswered, 0)}`,
          ),
        ],
      };
    },
  };
}
