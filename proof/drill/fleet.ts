/**
 * The fleet's footprint during a drill (embedded mode): database connections of the app's roles,
 * sampled from pg_stat_activity as the master user every 150 ms, steady against each rotation
 * window; connections the server refused (its log); and the app principal's Secrets Manager calls
 * per second (the endpoint's per-caller call log).
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { Window } from '../load/index.js';
import { LOCAL_PRINCIPALS } from '../../local/embedded-stack.js';
import { appRoles, masterClient } from './database-checks.js';
import type { DrillEnvironment } from './environment.js';

export const SAMPLE_INTERVAL_MS = 150;
/** A sample the server does not answer this fast is skipped (a frozen or restarting database). */
const SAMPLE_TIMEOUT_MS = 1000;

export interface ConnectionSample {
  /** ms since the epoch */
  at: number;
  total: number;
  byUser: Record<string, number>;
}

export interface FleetReport {
  connections: {
    sampleIntervalMs: number;
    samples: number;
    /** Median of the samples outside every rotation window. */
    steady: number | null;
    max: number;
    /** Per rotation: the highest sample inside its window. */
    peakPerRotation: { index: number; peak: number | null; byUser: Record<string, number> | null }[];
    /** Highest rotation peak ÷ steady. */
    peakOverSteady: number | null;
    /** Refused for want of a slot, from the server log: the server's max_connections, a role's CONNECTION LIMIT. */
    refusedServerLimit: number;
    refusedRoleLimit: number;
    maxConnections: number | null;
  } | null;
  secretsManager: {
    caller: string;
    seconds: number;
    callsPerSecond: number;
    byOperation: Record<string, { calls: number; perSecond: number }>;
  } | null;
}

export interface ConnectionSampler {
  /** Stops sampling; the samples so far. */
  stop(): Promise<ConnectionSample[]>;
}

/** Polls pg_stat_activity for the app's roles on one master connection (reconnecting after an error). */
export function startConnectionSampler(
  env: DrillEnvironment,
  intervalMs = SAMPLE_INTERVAL_MS,
): ConnectionSampler {
  const samples: ConnectionSample[] = [];
  const state = { running: true };
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let client: pg.Client | undefined;
    let roles: string[] = [];
    while (state.running) {
      const started = Date.now();
      try {
        if (!client) {
          const m = await masterClient(env);
          client = m.client;
          roles = appRoles(m.appUser);
        }
        const { rows } = await client.query<{ usename: string; n: number }>({
          text: `SELECT usename, count(*)::int AS n FROM pg_stat_activity
                  WHERE usename = ANY($1::text[]) GROUP BY usename`,
          values: [roles],
          query_timeout: SAMPLE_TIMEOUT_MS,
        } as pg.QueryConfig<string[][]>);
        const byUser = Object.fromEntries(rows.map((r) => [r.usename, r.n]));
        samples.push({ at: started, total: rows.reduce((s, r) => s + r.n, 0), byUser });
      } catch {
        // A frozen, restarting or refusing server: no sample; a fresh connection next time.
        const broken = client;
        client = undefined;
        void broken?.end().catch(() => undefined);
      }
      const rest = intervalMs - (Date.now() - started);
      if (rest > 0)
        await new Promise<void>((r) => {
          const timer = setTimeout(r, rest);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    async stop() {
      state.running = false;
      wake?.();
      await loop;
      return samples;
    },
  };
}

/** Connections refused for want of a slot, counted in the server log from byte `offset` on. */
export async function countRefusals(
  logFile: string,
  offset = 0,
): Promise<{ serverLimit: number; roleLimit: number }> {
  const text = await readFile(logFile)
    .then((b) => b.subarray(offset).toString('utf8'))
    .catch(() => '');
  return {
    serverLimit: (text.match(/too many clients already|remaining connection slots are reserved/g) ?? [])
      .length,
    roleLimit: (text.match(/too many connections for role/g) ?? []).length,
  };
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Steady (median outside every window), the peak inside each window, and their ratio. */
export function summarizeConnections(
  samples: readonly ConnectionSample[],
  windows: readonly Window[],
  t0: number,
): Pick<
  NonNullable<FleetReport['connections']>,
  'samples' | 'steady' | 'max' | 'peakPerRotation' | 'peakOverSteady'
> {
  const inside = (s: ConnectionSample, w: Window) => s.at - t0 >= w.startMs && s.at - t0 <= w.endMs;
  const steady = median(samples.filter((s) => !windows.some((w) => inside(s, w))).map((s) => s.total));
  const peakPerRotation = windows.map((w, k) => {
    const top = samples
      .filter((s) => inside(s, w))
      .reduce<ConnectionSample | undefined>(
        (m, s) => (m === undefined || s.total > m.total ? s : m),
        undefined,
      );
    return { index: k + 1, peak: top?.total ?? null, byUser: top?.byUser ?? null };
  });
  const peaks = peakPerRotation.flatMap((p) => (p.peak === null ? [] : [p.peak]));
  return {
    samples: samples.length,
    steady,
    max: samples.reduce((m, s) => Math.max(m, s.total), 0),
    peakPerRotation,
    peakOverSteady: steady && peaks.length > 0 ? Math.round((Math.max(...peaks) / steady) * 100) / 100 : null,
  };
}

export async function fleetReport(
  env: DrillEnvironment,
  samples: readonly ConnectionSample[] | undefined,
  windows: readonly Window[],
  t0: number,
  durationMs: number,
  maxConnections: number | undefined,
): Promise<FleetReport> {
  const stack = env.embedded?.stack;
  if (!stack) return { connections: null, secretsManager: null };
  const refused = await countRefusals(stack.postgres.logFile);

  const caller = LOCAL_PRINCIPALS.app.accessKeyId;
  const from = new Date(t0).toISOString();
  const until = new Date(t0 + durationMs).toISOString();
  const calls = stack.secretsManager.calls.list({ caller }).filter((c) => c.time >= from && c.time <= until);
  const seconds = durationMs / 1000;
  const per = (n: number) => Math.round((n / seconds) * 1000) / 1000;
  const byOperation: Record<string, { calls: number; perSecond: number }> = {};
  for (const c of calls) (byOperation[c.operation] ??= { calls: 0, perSecond: 0 }).calls++;
  for (const o of Object.values(byOperation)) o.perSecond = per(o.calls);
  return {
    connections: {
      sampleIntervalMs: SAMPLE_INTERVAL_MS,
      ...summarizeConnections(samples ?? [], windows, t0),
      refusedServerLimit: refused.serverLimit,
      refusedRoleLimit: refused.roleLimit,
      maxConnections: maxConnections ?? null,
    },
    secretsManager: { caller, seconds, callsPerSecond: per(calls.length), byOperation },
  };
}

/** Two summary lines (none outside embedded mode). */
export function fleetLines(f: FleetReport | undefined): string[] {
  const lines: string[] = [];
  const c = f?.connections;
  if (c) {
    const peaks = c.peakPerRotation.map((p) => p.peak ?? '-').join(', ');
    lines.push(
      `app connections: steady ${c.steady ?? '-'} (median outside rotation windows), peak per rotation ${peaks || '-'}, ` +
        `peak/steady ${c.peakOverSteady === null ? '-' : `${c.peakOverSteady.toFixed(2)}x`}, max ${c.max}` +
        `${c.maxConnections === null ? '' : ` of max_connections ${c.maxConnections}`}; ` +
        `refused: server limit ${c.refusedServerLimit}, role limit ${c.refusedRoleLimit}`,
    );
  }
  const s = f?.secretsManager;
  if (s) {
    const ops = Object.entries(s.byOperation)
      .map(([k, v]) => `${k} ${v.perSecond}/s`)
      .join(', ');
    lines.push(`app Secrets Manager calls: ${s.callsPerSecond}/s for the fleet (${ops || 'none'})`);
  }
  return lines;
}
