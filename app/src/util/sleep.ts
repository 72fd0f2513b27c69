import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less if the signal aborts (then resolves rather than throws). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller checks its own state
  }
}
