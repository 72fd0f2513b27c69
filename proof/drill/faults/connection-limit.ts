/**
 * connection-limit: from 20 % to 80 % of the run the app's two login roles (`app` and `app_clone`)
 * get `ALTER ROLE … CONNECTION LIMIT 2` (as the master user), below the tasks' pool size
 * (DB_POOL_MAX 5 unless --pool-max says otherwise), and every alternating-users rotation runs
 * inside that window; each make-before-break swap meets the limit too. The rotation function logs
 * in as the current user in setSecret (as AWS's multi-user template does), so a limit the app has
 * filled would fail the rotation itself, not the app: the limit is lifted from the end of
 * createSecret to the end of setSecret (a few hundred ms, reported) and set again on both roles.
 * The clone is limited as soon as setSecret has created it. The limit is on both roles because
 * the swap moves the fleet from one to the other: a limit on the old role only would never bind
 * the new pool, and on RDS the server-wide max_connections binds both alike. The limit counts over
 * the whole fleet, so with N tasks it is 2 connections per role shared by all of them.
 *
 * To keep more requests in flight than the limit (the open-model load alone rarely has more than
 * one request in flight at a few ms each), each task also gets DB_POOL_MAX concurrent readers
 * (`GET /api/products/{id}`, each at most one request per 25 ms) for the window: every pool wants
 * to grow past the limit. Their answers are checked like the load's. Expected: no response other
 * than 2xx or 503 (a 500 fails), every task swaps to the new user under the limit, the 503s and
 * the connections the server refused (its log: "too many connections for role") are reported. The
 * limits are restored in a finally.
 */
import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { assertLoopbackUrl } from '../../load/index.js';
import { appRoles } from '../database-checks.js';
import { countRefusals } from '../fleet.js';
import type { DrillOptions } from '../options.js';
import { check, notRun, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';
import { failuresAround, rotationGapMs, shortestDuration, spreadOver } from './around-window.js';

const DEFAULT_POOL_MAX = 5;
const ROLE_LIMIT = 2;
/** 503s that end this long after the limit is lifted still count as the fault's. */
const SETTLE_MS = 2000;
const READER_CYCLE_MS = 25;
const MAX_READER_REQUESTS = 100_000;

const poolMaxOf = (o: DrillOptions) => o.poolMax ?? DEFAULT_POOL_MAX;
/** Below the pool size: 2, or one less than a pool of 2 or fewer. */
const limitFor = (o: DrillOptions) => Math.max(1, Math.min(ROLE_LIMIT, poolMaxOf(o) - 1));

function plan(o: DrillOptions) {
  const d = o.durationSeconds * 1000;
  const startMs = 0.2 * d;
  const endMs = 0.8 * d;
  const gap = rotationGapMs(o);
  // Every rotation under the limit: after the pools have met it (3 s), each early enough for every
  // task to adopt it (a health cycle and the margin) before the limit is lifted.
  const rotations = spreadOver(o.rotations, [[startMs + 3000, endMs - gap]], gap);
  const fits = o.rotations >= 1 && rotations !== null;
  return { startMs, endMs, rotations, fits };
}

interface ReaderTally {
  requests: number;
  byStatus: Record<string, number>;
  maxInFlight: number;
}

/** DB_POOL_MAX closed-loop readers per task until `over()`; bounded in count and per request by `timeoutMs`. */
async function readers(
  urls: readonly string[],
  perTask: number,
  timeoutMs: number,
  over: () => boolean,
): Promise<ReaderTally> {
  const tally: ReaderTally = { requests: 0, byStatus: {}, maxInFlight: 0 };
  let inFlight = 0;
  const loop = async (base: string, k: number) => {
    for (let n = k; !over() && tally.requests < MAX_READER_REQUESTS; n += perTask) {
      const started = Date.now();
      tally.requests++;
      inFlight++;
      tally.maxInFlight = Math.max(tally.maxInFlight, inFlight);
      const status = await fetch(`${base}/api/products/${(n % 50) + 1}`, {
        signal: AbortSignal.timeout(timeoutMs),
      })
        .then(async (r) => {
          await r.arrayBuffer();
          return String(r.status);
        })
        .catch((err: unknown) => (err as Error).name);
      inFlight--;
      tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
      const rest = READER_CYCLE_MS - (Date.now() - started);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  };
  await Promise.all(
    urls.flatMap((url) => {
      const base = assertLoopbackUrl(url).origin;
      return Array.from({ length: perTask }, (_, k) => loop(base, k));
    }),
  );
  return tally;
}

interface ReadyBody {
  credentials?: { username?: string | null };
  pool?: { generation?: number };
}

export function connectionLimit(): Fault {
  let limited: { startMs: number; endMs: number | undefined; limit: number } | undefined;
  const original: Record<string, number> = {};
  let logFile = '';
  let logOffset = 0;
  let tally: ReaderTally = { requests: 0, byStatus: {}, maxInFlight: 0 };
  let poolMax = DEFAULT_POOL_MAX;
  let tasks = 0;
  const lifts: { atMs: number; endMs: number | null }[] = [];
  return {
    name: 'connection-limit',
    description: `the app's two roles get CONNECTION LIMIT ${ROLE_LIMIT} (pool ${DEFAULT_POOL_MAX} per task unless --pool-max) from 20 % to 80 % of the run, with DB_POOL_MAX concurrent readers per task; every alternating-users rotation runs inside`,
    taskEnv: { DB_POOL_MAX: String(DEFAULT_POOL_MAX) },
    minDurationSeconds: (o) => shortestDuration(o, (x) => plan(x).fits),
    rotationTimesMs(o) {
      const p = plan(o);
      return p.rotations ?? spreadOver(o.rotations, [[p.startMs, p.endMs]], 0) ?? [];
    },
    async run(ctx: FaultContext) {
      const { startMs, endMs } = plan(ctx.options);
      poolMax = poolMaxOf(ctx.options);
      const limit = limitFor(ctx.options);
      if (!(await ctx.until(startMs))) return;
      logFile = ctx.stack.postgres.logFile;
      logOffset = (await readFile(logFile)).length;
      const urls = ctx.tasks().map((t) => t.url);
      tasks = urls.length;
      let over = false;
      let pressure: Promise<ReaderTally> | undefined;
      /**
       * Each existing role of the app limited (or back to its own limit, kept for the restore). The
       * clone exists only once the first alternating-users rotation has created it in setSecret.
       */
      const setLimits = (on: boolean) =>
        ctx.asMaster(async (client, appUser) => {
          const { rows } = await client.query<{ rolname: string; rolconnlimit: number }>(
            'SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname = ANY($1::text[])',
            [appRoles(appUser)],
          );
          for (const r of rows) {
            original[r.rolname] ??= r.rolconnlimit;
            const n = on ? limit : original[r.rolname];
            await client.query(`ALTER ROLE ${pg.escapeIdentifier(r.rolname)} CONNECTION LIMIT ${n}`);
          }
          return rows.map((r) => r.rolname);
        });
      try {
        const roles = await setLimits(true);
        limited = { startMs: ctx.now(), endMs: undefined, limit };
        ctx.say(`fault connection-limit: ${roles.join(' and ')} limited to ${limit} connections each`);
        // The rotation function logs in as the current user in setSecret (as AWS's multi-user
        // template does): a limit that binds the app would fail the rotation itself. It is lifted
        // for setSecret only, and set again on both roles (the clone now exists) once it succeeded.
        ctx.setStepHook(async (s) => {
          if (over || s.errorType !== undefined) return;
          if (s.step === 'createSecret') {
            await setLimits(false);
            lifts.push({ atMs: ctx.now(), endMs: null });
          } else if (s.step === 'setSecret') {
            await setLimits(true);
            const lift = lifts.at(-1);
            if (lift) lift.endMs = ctx.now();
          }
        });
        ctx.say(`fault connection-limit: ${poolMax} readers per task`);
        pressure = readers(urls, poolMax, ctx.options.timeoutMs, () => over);
        await ctx.until(endMs);
      } finally {
        over = true;
        ctx.setStepHook(undefined);
        if (pressure) tally = await pressure;
        if (Object.keys(original).length > 0) {
          await ctx.asMaster(async (client) => {
            for (const [role, n] of Object.entries(original))
              await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} CONNECTION LIMIT ${n}`);
          });
          if (limited) limited.endMs = ctx.now();
          ctx.say('fault connection-limit: connection limits restored');
        }
      }
    },
    async evaluate(e: FaultEvidence) {
      const w = limited;
      if (w?.endMs === undefined) {
        return notRun(
          'connection-limit',
          this.description,
          'the limit was set and lifted',
          w ? 'never lifted' : 'the load ended first',
        );
      }
      const { startMs, endMs, limit } = { ...w, endMs: w.endMs };
      const load = failuresAround(e.records, startMs, endMs + SETTLE_MS);
      const allowed = load.allowed503;
      const loadOther = load.other;
      const readerOther = Object.entries(tally.byStatus).filter(([s]) => !/^2\d\d$/.test(s) && s !== '503');
      const otherCount = load.otherCount + readerOther.reduce((s, [, n]) => s + n, 0);
      const refused = await countRefusals(logFile, logOffset);

      // The swaps under the limit: each rotation that ran inside the window, adopted by every task.
      const rotations = e.rotations.filter(
        (r) => r.ok && r.requestedAt - e.t0 >= startMs && r.requestedAt - e.t0 < endMs,
      );
      // A task follows a rotation at its next health cycle (up to one refresh interval after the
      // rotation finished, longer when the rotation itself was slow under the limit): the swap counts
      // once its pool generation went up, before the next rotation finished (after that the task
      // would follow the newer one) and before the limit was lifted.
      const swapsOf = (rotation: (typeof rotations)[number], k: number) =>
        Array.from({ length: e.taskLines.length }, (_, t) => {
          const deadline = Math.min(rotations[k + 1]?.finishedAt ?? Infinity, e.t0 + endMs);
          const own = e.observations.filter((o) => o.target === t);
          const before = own.filter((o) => o.at <= rotation.requestedAt).at(-1);
          const b = before?.body as ReadyBody | null | undefined;
          const fromGeneration = b?.pool?.generation ?? null;
          const adoption = e.adoptions.find((a) => a.target === t && a.versionId === rotation.versionId);
          const swap = own.find((o) => {
            const g = (o.body as ReadyBody | null)?.pool?.generation;
            return (
              o.at > rotation.requestedAt && fromGeneration !== null && g !== undefined && g > fromGeneration
            );
          });
          const a = swap?.body as ReadyBody | null | undefined;
          return {
            task: `task${t + 1}`,
            rotation: rotation.versionId.slice(0, 8),
            adoptedAfterRotationMs: adoption ? round(adoption.atMs - (rotation.finishedAt - e.t0)) : null,
            swappedAfterRotationMs: swap ? round(swap.at - rotation.finishedAt) : null,
            underLimit: adoption !== undefined && swap !== undefined && swap.at <= deadline,
            fromUser: b?.credentials?.username ?? null,
            toUser: adoption?.username ?? null,
            fromGeneration,
            toGeneration: a?.pool?.generation ?? null,
          };
        });
      const swaps = rotations.flatMap((r, k) => swapsOf(r, k));
      const swapped = (s: (typeof swaps)[number]) =>
        s.underLimit &&
        s.toUser !== null &&
        s.toUser !== s.fromUser &&
        s.fromGeneration !== null &&
        s.toGeneration !== null &&
        s.toGeneration > s.fromGeneration;
      const readers503 = tally.byStatus['503'] ?? 0;
      return {
        name: 'connection-limit' as const,
        description: this.description,
        events: [
          { atMs: startMs, label: `CONNECTION LIMIT ${limit}` },
          ...lifts.map((l) => ({ atMs: l.atMs, label: 'lifted for setSecret' })),
          { atMs: endMs, label: 'limit lifted' },
        ],
        expectedFailures: allowed,
        figures: {
          roleLimit: limit,
          poolMaxPerTask: poolMax,
          fleetPoolPerRole: poolMax * tasks,
          limitedMs: round(endMs - startMs),
          liftedForSetSecretMs: lifts.map((l) => (l.endMs === null ? null : round(l.endMs - l.atMs))),
          refusedConnectionsRoleLimit: refused.roleLimit,
          refusedConnectionsServerLimit: refused.serverLimit,
          load503: allowed,
          loadFailedOtherwise: loadOther,
          readerRequests: tally.requests,
          readerMaxInFlight: tally.maxInFlight,
          readerByStatus: tally.byStatus,
          reader503: readers503,
          swaps,
        },
        checks: [
          check(
            'the limit bound',
            refused.roleLimit > 0,
            `${refused.roleLimit} connections refused for the role limit (${limit} per role, ${tasks} tasks × pool ${poolMax}, readers in flight up to ${tally.maxInFlight})`,
          ),
          check(
            'no response other than 2xx or 503',
            otherCount === 0,
            `load: ${allowed} × 503, other ${JSON.stringify(loadOther)}; readers: ${tally.requests} requests, ${readers503} × 503, other ${JSON.stringify(Object.fromEntries(readerOther))}`,
          ),
          check(
            'every task swapped to the new user under the limit',
            rotations.length > 0 && swaps.every(swapped),
            rotations.length === 0
              ? 'no rotation finished under the limit'
              : swaps
                  .map(
                    (s) =>
                      `${s.rotation} ${s.task} ${s.fromUser ?? '?'}#${s.fromGeneration ?? '?'} → ${s.toUser ?? 'never'}#${s.toGeneration ?? '?'}${s.underLimit ? '' : ' (not under the limit)'}`,
                  )
                  .join(', '),
          ),
        ],
      };
    },
  };
}
