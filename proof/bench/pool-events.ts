/**
 * When this app swapped its pool and when the old one finished draining, from its own log lines
 * (app/src/db/pool-generation.ts logs both, as JSON with the time in ms since the epoch).
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface PoolEvent {
  kind: 'swap' | 'drained';
  /** ms since the epoch */
  atMs: number;
  /** swap: the new pool's generation; drained: the old pool's. */
  generation: number;
}

const MESSAGES: Record<string, PoolEvent['kind']> = {
  'database pool swapped; draining the old one': 'swap',
  'pool drained': 'drained',
};

/** The pool event a log line tells of (null: none). */
export function poolEventOf(line: string): PoolEvent | null {
  if (!line.includes('"pool drained"') && !line.includes('"database pool swapped')) return null;
  let entry: { msg?: unknown; time?: unknown; generation?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return null;
  }
  const kind = typeof entry.msg === 'string' ? MESSAGES[entry.msg] : undefined;
  if (kind === undefined || typeof entry.time !== 'number' || typeof entry.generation !== 'number')
    return null;
  return { kind, atMs: entry.time, generation: entry.generation };
}

export interface PoolEventFollower {
  /** Every event so far, oldest first. */
  readonly events: readonly PoolEvent[];
  /** The first event (past or future) that matches; rejects after `timeoutMs`. */
  waitFor(match: (e: PoolEvent) => boolean, timeoutMs: number): Promise<PoolEvent>;
}

/**
 * Pool events as the process logs them, kept from now on. Read from the output stream itself: the
 * process's kept lines (AppProcess.lines) hold only the last seconds of a busy process's access log.
 */
export function followPoolEvents(output: Readable | null): PoolEventFollower {
  const events: PoolEvent[] = [];
  const waiters = new Set<{ match: (e: PoolEvent) => boolean; resolve: (e: PoolEvent) => void }>();
  if (output)
    createInterface({ input: output }).on('line', (line) => {
      const event = poolEventOf(line);
      if (!event) return;
      events.push(event);
      for (const w of [...waiters])
        if (w.match(event)) {
          waiters.delete(w);
          w.resolve(event);
        }
    });
  return {
    events,
    waitFor(match, timeoutMs) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<PoolEvent>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (e: PoolEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no such pool event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** The first event of a kind at or after `fromMs` (null: none). */
export function firstAfter(
  events: readonly PoolEvent[],
  kind: PoolEvent['kind'],
  fromMs: number,
): PoolEvent | null {
  return events.find((e) => e.kind === kind && e.atMs >= fromMs) ?? null;
}
