/** The few figures the drill reads from each task's /metrics. */

export interface TaskMetrics {
  poolSwaps: number | null;
  /** operation → calls (all outcomes) */
  secretsManagerCalls: Record<string, number>;
  secretsManagerErrors: number;
}

export function parseTaskMetrics(text: string): TaskMetrics {
  const out: TaskMetrics = { poolSwaps: null, secretsManagerCalls: {}, secretsManagerErrors: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+|NaN)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw = ''] = m;
    const value = Number(raw);
    if (name === 'db_pool_swaps_total') out.poolSwaps = (out.poolSwaps ?? 0) + value;
    if (name === 'secretsmanager_calls_total') {
      const op = /operation="([^"]*)"/.exec(labels)?.[1] ?? '?';
      const outcome = /outcome="([^"]*)"/.exec(labels)?.[1] ?? '?';
      out.secretsManagerCalls[op] = (out.secretsManagerCalls[op] ?? 0) + value;
      if (outcome !== 'ok') out.secretsManagerErrors += value;
    }
  }
  return out;
}

export async function scrapeTask(url: string): Promise<TaskMetrics | null> {
  try {
    const res = await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(3000) });
    return res.ok ? parseTaskMetrics(await res.text()) : null;
  } catch {
    return null;
  }
}
