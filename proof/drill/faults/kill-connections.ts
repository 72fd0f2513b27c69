/**
 * kill-connections: every backend of the app's login roles is terminated (pg_terminate_backend), at
 * 30 %, 50 % and 70 % of the run, as a failover or an operator would. Reads must all succeed (they
 * are redone on a fresh connection); a write may fail only as a clean 503 (COMMIT outcome unknown)
 * and must never leave a partial order behind.
 */
import type { RequestRecord } from '../../load/index.js';
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';
import { latencyOf, ratio, steadyLatency, within } from './window-latency.js';

const AT = [0.3, 0.5, 0.7];

export function killConnections(): Fault {
  const kills: { atMs: number; terminated: number }[] = [];
  let writeNames: ReadonlySet<string> = new Set();
  const isWrite = (r: RequestRecord) => writeNames.has(r.name);
  return {
    name: 'kill-connections',
    description:
      'every backend of the app roles is terminated at 30 %, 50 % and 70 % of the run (pg_terminate_backend)',
    minDurationSeconds: () => 0, // the drill's own rotation spacing is enough
    async run(ctx: FaultContext) {
      for (const f of AT) {
        if (!(await ctx.until(f * ctx.options.durationSeconds * 1000))) return;
        const atMs = ctx.now();
        const terminated = await ctx.killAppConnections();
        kills.push({ atMs, terminated });
        ctx.say(`fault kill-connections: terminated ${terminated} app backends`);
      }
    },
    async evaluate(e: FaultEvidence) {
      writeNames = e.writeNames;
      const failed = e.records.filter((r) => r.outcome === 'failed');
      const failedReads = failed.filter((r) => !isWrite(r)).length;
      const cleanWrite503 = failed.filter((r) => isWrite(r) && r.status === 503).length;
      const otherWriteFailures = failed.filter((r) => isWrite(r) && r.status !== 503).length;
      const partial = await e.partialOrders();
      // The same window length as single-user-window's holds, so the two recovery paths compare.
      const windowMs = 2 * e.options.refreshSeconds * 1000 + 2000;
      const steady = steadyLatency(e);
      const windows = kills.map((k) => {
        const latency = latencyOf(e.records, within({ startMs: k.atMs, endMs: k.atMs + windowMs }));
        return { ...latency, p99VsSteady: ratio(latency.p99Ms, steady.p99Ms) };
      });
      return {
        name: 'kill-connections' as const,
        description: this.description,
        events: kills.map((k) => ({ atMs: k.atMs, label: `killed ${k.terminated}` })),
        expectedFailures: cleanWrite503,
        figures: {
          kills: kills.map((k) => ({ atMs: round(k.atMs), terminated: k.terminated })),
          failedReads,
          writes503: cleanWrite503,
          otherWriteFailures,
          partialOrders: partial,
          steady,
          windowsAfterKills: windows,
        },
        notes: [
          `latency in the ${windowMs} ms after each kill (steady p99 ${steady.p99Ms ?? '-'} ms): ` +
            windows
              .map((w) => `p99 ${w.p99Ms ?? '-'} ms max ${w.maxMs ?? '-'} ms (${w.p99VsSteady ?? '-'}×)`)
              .join(', '),
        ],
        checks: [
          check(
            'connections were terminated',
            kills.length === AT.length && kills.every((k) => k.terminated > 0),
            `terminated per kill: ${kills.map((k) => k.terminated).join(', ') || 'none'}`,
          ),
          check('no failed read', failedReads === 0, `${failedReads} failed reads`),
          check(
            'failed writes are clean 503s',
            otherWriteFailures === 0,
            `${cleanWrite503} writes answered 503, ${otherWriteFailures} failed otherwise`,
          ),
          check('no partial order', partial === 0, `${partial} orders without lines or with a wrong total`),
        ],
      };
    },
  };
}
