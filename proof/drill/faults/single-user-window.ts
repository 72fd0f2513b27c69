/**
 * single-user-window: a slow single-user rotation. Each rotation is held after testSecret (the
 * database already has the new password, AWSCURRENT is still the old one) for two refresh intervals
 * plus 2 s, and every app connection is terminated when the hold begins, so new connections are
 * needed at once. The old password no longer works and AWSCURRENT has not moved: the app must find
 * AWSPENDING by itself. Expected: 0 failed requests, every task seen on AWSPENDING during a window,
 * and every task on the final AWSCURRENT version at the end.
 */
import { SCHEDULE_MARGIN_MS } from '../schedule.js';
import type { DrillOptions } from '../options.js';
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';
import { latencyOf, MIN_REQUESTS_FOR_P99, ratio, steadyLatency, within } from './window-latency.js';

/** A window's p99 may be at most this multiple of the steady p99. */
const MAX_WINDOW_P99_RATIO = 2;

interface HeldWindow {
  versionId: string;
  startMs: number;
  endMs: number;
  terminated: number;
}

interface ReadyBody {
  credentials?: { versionId?: string | null; stage?: string | null };
}

/** How long each rotation is held between testSecret and finishSecret. */
const holdMs = (o: DrillOptions) => 2 * o.refreshSeconds * 1000 + 2000;

export function singleUserWindow(): Fault {
  const windows: HeldWindow[] = [];
  return {
    name: 'single-user-window',
    description:
      'each single-user rotation is held after testSecret for two refresh intervals + 2 s (database on the new password, AWSCURRENT on the old), with every app connection terminated as the hold begins',
    minDurationSeconds(o) {
      // Held rotations run one after another: each must end before the next is due, the last before the load ends.
      const rotation = holdMs(o) + SCHEDULE_MARGIN_MS;
      const n = Math.max(1, o.rotations);
      return Math.max((n * rotation) / 0.7, rotation / (1 - 0.15 - (0.7 * (n - 0.5)) / n)) / 1000;
    },
    run(ctx: FaultContext) {
      const hold = holdMs(ctx.options);
      ctx.setStepHook(async (s) => {
        if (s.step !== 'testSecret' || s.errorType !== undefined) return;
        if (windows.some((w) => w.versionId === s.versionId)) return;
        const startMs = ctx.now();
        const terminated = await ctx.killAppConnections();
        ctx.say(
          `fault single-user-window: holding AWSCURRENT for ${hold} ms; terminated ${terminated} app backends`,
        );
        await new Promise((r) => setTimeout(r, hold));
        windows.push({ versionId: s.versionId, startMs, endMs: ctx.now(), terminated });
      });
      return Promise.resolve();
    },
    evaluate(e: FaultEvidence) {
      const tasks = e.taskLines.length;
      const pendingSeen = Array.from({ length: tasks }, (_, t) =>
        e.observations.some((o) => {
          const body = o.body as ReadyBody | null;
          const atMs = o.at - e.t0;
          return (
            o.target === t &&
            body?.credentials?.stage === 'AWSPENDING' &&
            windows.some(
              (w) =>
                w.versionId === body.credentials?.versionId && atMs >= w.startMs && atMs <= w.endMs + 1000,
            )
          );
        }),
      );
      const finalVersion = e.rotations.filter((r) => r.ok).at(-1)?.versionId;
      const last = Array.from({ length: tasks }, (_, t) => {
        const own = e.observations.filter((o) => o.target === t && o.ready);
        return (own.at(-1)?.body as ReadyBody | null | undefined)?.credentials;
      });
      const steady = steadyLatency(e);
      const inWindows = windows.map((w) => {
        const rs = e.records.filter((r) => r.intendedMs >= w.startMs && r.intendedMs <= w.endMs);
        const latency = latencyOf(e.records, within(w));
        return {
          versionId: w.versionId,
          startMs: round(w.startMs),
          holdMs: round(w.endMs - w.startMs),
          terminated: w.terminated,
          requests: rs.length,
          failed: rs.filter((r) => r.outcome !== 'ok').length,
          p99Ms: latency.p99Ms,
          maxMs: latency.maxMs,
          p99VsSteady: ratio(latency.p99Ms, steady.p99Ms),
          judged: latency.requests >= MIN_REQUESTS_FOR_P99 && steady.requests >= MIN_REQUESTS_FOR_P99,
        };
      });
      const judged = inWindows.filter((w) => w.judged);
      return {
        name: 'single-user-window' as const,
        description: this.description,
        events: windows.flatMap((w) => [
          { atMs: w.startMs, label: 'hold: DB new, AWSCURRENT old' },
          { atMs: w.endMs, label: 'hold over' },
        ]),
        expectedFailures: 0,
        figures: { windows: inWindows, steady, tasksSeenOnAwsPending: pendingSeen },
        checks: [
          check('rotations were held', windows.length > 0, `${windows.length} windows`),
          check(
            'every request in the windows succeeded',
            inWindows.every((w) => w.failed === 0),
            inWindows.map((w) => `${w.requests - w.failed}/${w.requests}`).join(', '),
          ),
          check(
            `window p99 at most ${MAX_WINDOW_P99_RATIO}× steady p99`,
            judged.every((w) => (w.p99VsSteady ?? Infinity) <= MAX_WINDOW_P99_RATIO),
            `steady p99 ${steady.p99Ms ?? '-'} ms (${steady.requests} requests after ${round(steady.warmupMs)} ms warm-up); ` +
              inWindows
                .map(
                  (w) =>
                    `window p99 ${w.p99Ms ?? '-'} ms max ${w.maxMs ?? '-'} ms (${w.p99VsSteady ?? '-'}×${w.judged ? '' : `, not judged: under ${MIN_REQUESTS_FOR_P99} requests`})`,
                )
                .join(', '),
          ),
          check(
            'every task served on AWSPENDING during a window',
            pendingSeen.every(Boolean),
            pendingSeen.map((x, t) => `task${t + 1} ${x ? 'yes' : 'no'}`).join(', '),
          ),
          check(
            'every task ends on the final AWSCURRENT version',
            finalVersion !== undefined &&
              last.every((c) => c?.versionId === finalVersion && c.stage === 'AWSCURRENT'),
            last
              .map((c, t) => `task${t + 1} ${c?.stage ?? '?'} ${(c?.versionId ?? '').slice(0, 8)}`)
              .join(', '),
          ),
        ],
      };
    },
  };
}
