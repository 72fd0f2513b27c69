/**
 * sm-outage: Secrets Manager fails for the app's principal (5xx for the first half of the window,
 * then unanswered calls the SDK times out on) while an alternating-users rotation runs (the
 * rotation function's own calls still work); further rotations wait until the app has caught up. The app must serve on its cached credentials (the old
 * user's password stays valid), ask at most once per refresh interval, and adopt the new version
 * after the endpoint recovers.
 */
import { LOCAL_PRINCIPALS } from '../../../local/embedded-stack.js';
import type { DrillOptions } from '../options.js';
import { cycleMs, SCHEDULE_MARGIN_MS } from '../schedule.js';
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';

/** The app's SDK client: up to 2 attempts per call (app/src/service.ts). */
const SDK_ATTEMPTS = 2;

export function smOutage(): Fault {
  let window: { startMs: number; endMs: number } | undefined;
  const callsDuring: Record<string, number> = {};
  let callsDuringTotal = 0;
  let refreshSeconds = 0;
  const plan = (o: DrillOptions) => {
    const d = o.durationSeconds * 1000;
    return { startMs: 0.2 * d, switchMs: 0.4 * d, endMs: 0.6 * d };
  };
  /**
   * After the outage a task may still be in its Secrets Manager backoff (up to one refresh interval)
   * before its next cycle: two cycles and the margin until it has caught up.
   */
  const catchUpMs = (o: DrillOptions) => 2 * cycleMs(o) + SCHEDULE_MARGIN_MS;
  return {
    name: 'sm-outage',
    description:
      'Secrets Manager fails for the app (HTTP 500, then unanswered calls) from 20 % to 60 % of the run; a rotation happens inside that window, any others after the app has caught up',
    rotationTimesMs(o) {
      // One rotation inside the outage. A second one there would change the password of the user
      // the app is still on (alternating users keeps only the previous user valid) while the app
      // cannot read the secret: no client survives that, so the others run once the app has caught up.
      const { startMs, endMs } = plan(o);
      const d = o.durationSeconds * 1000;
      const from = endMs + catchUpMs(o);
      const rest = o.rotations - 1;
      return [
        Math.round((startMs + endMs) / 2),
        ...Array.from({ length: rest }, (_, k) =>
          Math.round(from + ((0.95 * d - from) * k) / Math.max(1, rest)),
        ),
      ].slice(0, o.rotations);
    },
    minDurationSeconds(o) {
      // The outage ends at 0.6·d; the app catches up; the other rotations, at least the margin
      // apart, fit before 0.95·d.
      return (catchUpMs(o) + Math.max(0, o.rotations - 1) * SCHEDULE_MARGIN_MS) / 0.35 / 1000;
    },
    async run(ctx: FaultContext) {
      const { startMs, switchMs, endMs } = plan(ctx.options);
      refreshSeconds = ctx.options.refreshSeconds;
      const faults = ctx.stack.secretsManager.faults;
      const callers = [LOCAL_PRINCIPALS.app.accessKeyId];
      if (!(await ctx.until(startMs))) return;
      const started = ctx.now();
      faults.set({
        kind: 'error',
        errorType: 'InternalServiceError',
        callers,
        durationMs: switchMs - startMs,
      });
      ctx.say('fault sm-outage: Secrets Manager answers 500 to the app');
      if (!(await ctx.until(switchMs))) return;
      const hang = faults.set({ kind: 'outage', mode: 'hang', callers, durationMs: endMs - switchMs });
      ctx.say('fault sm-outage: Secrets Manager stops answering the app');
      await faults.whenEnded(hang.id);
      window = { startMs: started, endMs: ctx.now() };
      ctx.say('fault sm-outage: Secrets Manager answers the app again');
      const since = new Date(ctx.now() - (window.endMs - window.startMs)).toISOString();
      const until = new Date().toISOString();
      for (const c of ctx.stack.secretsManager.calls.list({ caller: callers[0] })) {
        if (c.time < since || c.time > until) continue;
        callsDuring[c.operation] = (callsDuring[c.operation] ?? 0) + 1;
        callsDuringTotal++;
      }
    },
    evaluate(e: FaultEvidence) {
      const tasks = e.taskLines.length;
      const w = window;
      // The rotation that ran while the app could not read the secret.
      const rotated = e.rotations.find(
        (r) => r.ok && w !== undefined && r.requestedAt - e.t0 >= w.startMs && r.finishedAt - e.t0 <= w.endMs,
      )?.versionId;
      const checks = [
        check(
          'outage window ran',
          w !== undefined,
          w ? `${round(w.endMs - w.startMs)} ms` : 'the load ended first',
        ),
      ];
      const figures: Record<string, unknown> = {
        callsDuringOutage: callsDuring,
        callsDuringOutageTotal: callsDuringTotal,
      };
      if (w) {
        // At most one check per refresh interval (jitter ±10 %) per task, each up to SDK_ATTEMPTS
        // attempts, plus the one in flight when the outage began.
        const bound =
          tasks * SDK_ATTEMPTS * (Math.floor((w.endMs - w.startMs) / (0.9 * refreshSeconds * 1000)) + 1);
        figures.callBound = bound;
        checks.push(
          check(
            'app calls during the outage are bounded',
            callsDuringTotal <= bound,
            `${callsDuringTotal} calls by ${tasks} tasks in ${round(w.endMs - w.startMs)} ms (bound ${bound})`,
          ),
        );
        const adoptedAfter: (number | null)[] = [];
        for (let t = 0; t < tasks; t++) {
          const a = e.adoptions.find((x) => x.target === t && x.versionId === rotated && x.atMs >= w.endMs);
          adoptedAfter.push(a ? round(a.atMs - w.endMs) : null);
        }
        figures.adoptionAfterRecoveryMs = adoptedAfter;
        checks.push(
          check(
            'every task adopted the version rotated during the outage, after the endpoint recovered',
            rotated !== undefined && adoptedAfter.every((x) => x !== null),
            `ms after recovery per task: ${adoptedAfter.map((x) => x ?? 'never').join(', ')}`,
          ),
        );
        const early = e.adoptions.filter((x) => x.versionId === rotated && x.atMs < w.endMs).length;
        checks.push(
          check('no task saw the new version during the outage', early === 0, `${early} early adoptions`),
        );
      }
      return {
        name: 'sm-outage' as const,
        description: this.description,
        events: w
          ? [
              { atMs: w.startMs, label: 'Secrets Manager down (app)' },
              { atMs: w.endMs, label: 'Secrets Manager back' },
            ]
          : [],
        expectedFailures: 0,
        figures,
        checks,
      };
    },
  };
}
