/**
 * Backend lifetimes from PostgreSQL's own log: the exact moment each backend started and ended, for
 * counting how many an app process held at once during a pool swap.
 *
 * Why the log and not pg_stat_activity samples (pg-connections.ts): a make-before-break swap holds
 * the old and the new pool's connections together for only the few ms between warming the new pool
 * and closing the old one's idle connections, which samples 25 ms apart mostly miss. Sampling
 * `backend_start` would give exact starts, but every end would still be known only to within a
 * sample, and at a steady load the pool replaces connections that reached their max lifetime all
 * the time: a backend that ended just before its replacement started would be counted alive beside
 * it. The server logs both ends itself (log_connections, log_disconnections) with a millisecond
 * timestamp and the backend's pid, on the same clock as every other end, for a log line per
 * connection and nothing per request.
 */
import { readFile, stat } from 'node:fs/promises';

/** Server settings the bench's PostgreSQL runs with: a line at each backend's start, login and end. */
export const CONNECTION_LOG_SETTINGS: Record<string, string> = {
  log_connections: 'on',
  log_disconnections: 'on',
  // %n: Unix epoch with milliseconds (no time zone to guess); %p: the backend's pid.
  log_line_prefix: '%n [%p] ',
};

/** The rotation function's connections (its application_name) are not the app's. */
const ROTATION_FUNCTION_APPLICATION = 'secrets-manager-rotation';

export interface BackendLife {
  pid: number;
  user: string;
  application: string;
  /** ms since the epoch: the connection was received (the backend started). */
  startMs: number;
  /** ms since the epoch: the backend ended; null while it lives (or when its end is not logged yet). */
  endMs: number | null;
}

const LINE =
  /^(\d+(?:\.\d+)?) \[(\d+)\] LOG: {2}(connection received|connection authorized|disconnection): ?(.*)$/;

/**
 * Logged-in backends, in order of login. A connection refused at login has no life here: it never
 * held a session. A pid the server reuses starts a new life.
 */
export function parseConnectionLog(lines: Iterable<string>): BackendLife[] {
  const received = new Map<number, number>();
  const open = new Map<number, BackendLife>();
  const lives: BackendLife[] = [];
  for (const line of lines) {
    const m = LINE.exec(line);
    if (!m) continue;
    const atMs = Math.round(Number(m[1]) * 1000);
    const pid = Number(m[2]);
    const rest = m[4] ?? '';
    switch (m[3]) {
      case 'connection received':
        received.set(pid, atMs);
        break;
      case 'connection authorized': {
        const life: BackendLife = {
          pid,
          user: /(?:^| )user=(\S+)/.exec(rest)?.[1] ?? '',
          application: /(?:^| )application_name=(\S+)/.exec(rest)?.[1] ?? '',
          startMs: received.get(pid) ?? atMs,
          endMs: null,
        };
        received.delete(pid);
        open.set(pid, life);
        lives.push(life);
        break;
      }
      case 'disconnection': {
        const life = open.get(pid);
        if (life) life.endMs = atMs;
        open.delete(pid);
        received.delete(pid);
        break;
      }
    }
  }
  return lives;
}

/** The app's backends: its roles' logins, less the rotation function's. */
export function appBackends(lives: readonly BackendLife[], roles: readonly string[]): BackendLife[] {
  return lives.filter((l) => roles.includes(l.user) && l.application !== ROTATION_FUNCTION_APPLICATION);
}

/** The number alive from `atMs` on, until the next step. */
export interface AliveStep {
  atMs: number;
  count: number;
}

/**
 * How many backends were alive over [fromMs, toMs), as steps: the count at fromMs, then one step per
 * change. A life is [startMs, endMs): at the same ms, an end counts before a start, so a connection
 * replaced within the same ms is not counted twice. A life with no end lives on past toMs.
 */
export function aliveSteps(lives: readonly BackendLife[], fromMs: number, toMs: number): AliveStep[] {
  const alive = (l: BackendLife, t: number) => l.startMs <= t && (l.endMs === null || l.endMs > t);
  const changes = new Map<number, number>();
  for (const l of lives) {
    if (l.startMs > fromMs && l.startMs < toMs) changes.set(l.startMs, (changes.get(l.startMs) ?? 0) + 1);
    if (l.endMs !== null && l.endMs > fromMs && l.endMs < toMs && l.endMs > l.startMs)
      changes.set(l.endMs, (changes.get(l.endMs) ?? 0) - 1);
  }
  const steps: AliveStep[] = [{ atMs: fromMs, count: lives.filter((l) => alive(l, fromMs)).length }];
  let count = steps[0]?.count ?? 0;
  for (const [atMs, delta] of [...changes.entries()].sort((a, b) => a[0] - b[0])) {
    if (delta === 0) continue;
    count += delta;
    steps.push({ atMs, count });
  }
  return steps;
}

/** The most backends alive at once in [fromMs, toMs). */
export function peakAlive(lives: readonly BackendLife[], fromMs: number, toMs: number): number {
  return Math.max(0, ...aliveSteps(lives, fromMs, toMs).map((s) => s.count));
}

/** Backends that started in [fromMs, toMs). */
export function openedIn(lives: readonly BackendLife[], fromMs: number, toMs: number): number {
  return lives.filter((l) => l.startMs >= fromMs && l.startMs < toMs).length;
}

/**
 * The steady count: the median over time of the number alive in [fromMs, toMs), leaving out the
 * `excluded` intervals (the rotation windows). Weighted by how long each count held, so a count
 * that changes often is not over-represented. null when nothing of the span is left.
 */
export function steadyAlive(
  lives: readonly BackendLife[],
  fromMs: number,
  toMs: number,
  excluded: readonly { fromMs: number; toMs: number }[],
): number | null {
  const steps = aliveSteps(lives, fromMs, toMs);
  const weights = new Map<number, number>();
  for (const [i, step] of steps.entries()) {
    const end = steps[i + 1]?.atMs ?? toMs;
    const kept = keptLength(step.atMs, end, excluded);
    if (kept > 0) weights.set(step.count, (weights.get(step.count) ?? 0) + kept);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const [count, weight] of [...weights.entries()].sort((a, b) => a[0] - b[0])) {
    seen += weight;
    if (seen >= total / 2) return count;
  }
  return null;
}

/** How much of [from, to) lies outside every excluded interval. */
function keptLength(from: number, to: number, excluded: readonly { fromMs: number; toMs: number }[]): number {
  const cuts = excluded
    .map((e) => ({ from: Math.max(from, e.fromMs), to: Math.min(to, e.toMs) }))
    .filter((c) => c.to > c.from)
    .sort((a, b) => a.from - b.from);
  let covered = 0;
  let reached = from;
  for (const c of cuts) {
    const start = Math.max(c.from, reached);
    if (c.to > start) covered += c.to - start;
    reached = Math.max(reached, c.to);
  }
  return Math.max(0, to - from - covered);
}

/** The server log's size now: read from here on, a later read sees only what came after. */
export async function logOffset(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** The server log's lines from byte `offset` on. */
export async function readLogFrom(file: string, offset: number): Promise<string[]> {
  return (await readFile(file)).subarray(offset).toString('utf8').split('\n');
}
