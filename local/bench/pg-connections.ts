/**
 * Connections an app process holds to PostgreSQL, sampled from pg_stat_activity: what a scale-out
 * (every new task opens its pool) and a pool swap (make before break) cost the server. Counted:
 * client backends of the app's roles, except the rotation function's own (its application_name) and
 * the sampling connection. The bench runs one app process at a time, so those are that process's.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';

export interface ConnectionSample {
  /** ms since the epoch */
  atMs: number;
  pids: number[];
}

export interface ConnectionWatch {
  /** Samples so far, oldest first; the list grows while the watch runs. */
  readonly samples: readonly ConnectionSample[];
  stop(): Promise<void>;
}

/** Often enough to see a connection that lives a few round trips; cheap for the server. */
export const SAMPLE_INTERVAL_MS = 25;

const ROTATION_FUNCTION_APPLICATION = 'secrets-manager-rotation';

export function watchConnections(client: pg.Client, roles: readonly string[]): ConnectionWatch {
  const samples: ConnectionSample[] = [];
  const state = { stopped: false };
  const loop = (async () => {
    while (!state.stopped) {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND usename = ANY($1)
            AND application_name IS DISTINCT FROM $2 AND pid <> pg_backend_pid()`,
        [roles, ROTATION_FUNCTION_APPLICATION],
      );
      samples.push({ atMs: Date.now(), pids: rows.map((r) => r.pid) });
      await delay(SAMPLE_INTERVAL_MS);
    }
  })();
  return {
    samples,
    async stop() {
      state.stopped = true;
      // A failed sample ends the watch: the figures then come from the samples taken so far.
      await loop.catch(() => undefined);
    },
  };
}

/** Connections opened in [fromMs, toMs]: backends first seen there, and the most held at once. */
export function openedBetween(
  samples: readonly ConnectionSample[],
  fromMs: number,
  toMs: number,
): { opened: number; peak: number } {
  const before = new Set(samples.filter((s) => s.atMs < fromMs).flatMap((s) => s.pids));
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const opened = new Set(inside.flatMap((s) => s.pids).filter((pid) => !before.has(pid)));
  return { opened: opened.size, peak: Math.max(0, ...inside.map((s) => s.pids.length)) };
}

/**
 * A swap's cost: the most connections held in [fromMs, toMs] over the steady count (the median of
 * the samples in the `steadyMs` before it).
 */
export function peakOverSteady(
  samples: readonly ConnectionSample[],
  fromMs: number,
  toMs: number,
  steadyMs = 2000,
): { steady: number; peak: number; extra: number } | null {
  const counts = samples
    .filter((s) => s.atMs >= fromMs - steadyMs && s.atMs < fromMs)
    .map((s) => s.pids.length)
    .sort((a, b) => a - b);
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  if (counts.length === 0 || inside.length === 0) return null;
  const steady = counts[Math.floor(counts.length / 2)] ?? 0;
  const peak = Math.max(...inside.map((s) => s.pids.length));
  return { steady, peak, extra: Math.max(0, peak - steady) };
}
