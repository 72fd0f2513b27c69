/**
 * A pool swap while requests are queued for a connection (more concurrent requests than
 * DB_POOL_MAX). The requests already waiting on the old pool must be served by it as its
 * connections come back, not stranded until the connection timeout when it starts draining.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness({ DB_POOL_MAX: '2' });
});

afterAll(async () => {
  await h.stop();
});

describe('pool swap under contention', () => {
  it('serves every queued request across three swaps', async () => {
    const clonePassword = await h.createAppRole('app_clone');
    const original = await h.currentSecret();
    const load = startSteadyLoad(h.service.url, { workers: 12 });
    await load.waitForRequests(100);

    let queuedAtSwap = 0;
    for (const username of ['app_clone', 'app', 'app_clone']) {
      const password = username === 'app' ? String(original.value.password) : clonePassword;
      const versionId = await h.putVersion(JSON.stringify({ ...original.value, username, password }));
      await h.promote(versionId);
      const swapped = once(h.service.pool, 'swap');
      // Adoption and swap happen inside the cycle; the load keeps the old pool's queue full meanwhile.
      const waitingBefore = h.service.pool.stats().waiting;
      await h.service.health.runOnce();
      await swapped;
      queuedAtSwap = Math.max(queuedAtSwap, waitingBefore);
      await load.waitForRequests(150);
    }

    const result = await load.stop();
    expect(result.failures).toEqual([]);
    // The scenario did what it is about: requests were queued for a connection.
    expect(queuedAtSwap).toBeGreaterThan(0);
  });
});
