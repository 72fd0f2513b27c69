/**
 * single-user-window: a slow single-user rotation. Each rotation is held after testSecret (the
 * database already has the new password, AWSCURRENT is still the old one) for two refresh intervals
 * plus 2 s, and every app connection is terminated when the hold begins, so new connections are
 * needed at once. The old password no longer works and AWSCURRENT has not moved: the app must find
 * AWSPENDING by itself. Expected: 0 failed requests, every task seen on AWSPENDING during a window,
 * and every task on the final AWSCURRENT version at the end.
 */
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';

interface HeldWindow {
  versionId: string;
  startMs: number;
  endMs: number;
  terminated: number;
}

interface ReadyBody {
  credentials?: { versionId?: string | null; stage?: string | null };
}

export function singleUserWindow(): Fault {
  const windows: HeldWindow[] = [];
  return {
    name: 'single-user-window',
    description:
      'each single-user rotation is held after testSecret for two refresh intervals + 2 s (database on the new password, AWSCURRENT on the old), with every app connection terminated as the hold begins',
    run(ctx: FaultContext) {
      const holdMs = 2 * ctx.options.refreshSeconds * 1000 + 2000;
      ctx.setStepHook(async (s) => {
        if (s.step !== 'testSecret' || s.errorType !== undefined) return;
        if (windows.some((w) => w.versionId === s.versionId)) return;
        const startMs = ctx.now();
        const terminated = await ctx.killAppConnections();
        ctx.say(
          `fault single-user-window: holding AWSCURRENT for ${holdMs} ms; terminated ${terminated} app backends`,
        );
        await new Promise((r) => setTimeout(r, holdMs));
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
      const inWindows = windows.map((w) => {
        const rs = e.records.filter((r) => r.intendedMs >= w.startMs && r.intendedMs <= w.endMs);
        return {
          versionId: w.versionId,
          startMs: round(w.startMs),
          holdMs: round(w.endMs - w.startMs),
          terminated: w.terminated,
          requests: rs.length,
          failed: rs.filter((r) => r.outcome !== 'ok').length,
        };
      });
      return {
        name: 'single-user-window' as const,
        description: this.description,
        events: windows.flatMap((w) => [
          { atMs: w.startMs, label: 'hold: DB new, AWSCURRENT old' },
          { atMs: w.endMs, label: 'hold over' },
        ]),
        expectedFailures: 0,
        figures: { windows: inWindows, tasksSeenOnAwsPending: pendingSeen },
        checks: [
          check('rotations were held', windows.length > 0, `${windows.length} windows`),
          check(
            'every request in the windows succeeded',
            inWindows.every((w) => w.failed === 0),
            inWindows.map((w) => `${w.requests - w.failed}/${w.requests}`).join(', '),
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
