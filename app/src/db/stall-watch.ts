import type { PoolGenerations } from './pool-generation.js';

/** How often checkouts are looked at for one held suspiciously long (a silent server), and a lowered ceiling relaxed. */
const SCAN_MS = 250;

/**
 * Work normally holds a connection for milliseconds. One held past the probe timeout calls
 * `onStall` (the health cycle probes at once), at most once per probe timeout, so readiness follows
 * a server that stopped answering within about two probe timeouts instead of waiting for the query
 * timeout. The same timer gives a lowered capacity ceiling its connections back. Returns the stop.
 */
export function watchCheckouts(
  generations: Pick<PoolGenerations, 'active' | 'oldestCheckout'>,
  probeTimeoutMs: number,
  onStall: (heldMs: number) => void,
): () => void {
  let lastNotice = 0;
  const scan = setInterval(() => {
    const at = Date.now();
    generations.active.ceiling.relax(at);
    if (at - lastNotice < probeTimeoutMs) return;
    const heldMs = at - generations.oldestCheckout(at);
    if (heldMs < probeTimeoutMs) return;
    lastNotice = at;
    onStall(heldMs);
  }, SCAN_MS);
  scan.unref();
  return () => {
    clearInterval(scan);
  };
}
