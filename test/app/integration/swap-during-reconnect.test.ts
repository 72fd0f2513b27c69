/**
 * A pool swap (alternating users) the moment every connection was dropped: requests are waiting
 * for their turn to open a connection on the old pool when it is swapped out and drained. They
 * must move to the new pool, never fail on the ended one.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness({ DB_POOL_MAX: '8' });
});

afterAll(async () => {
  await h.stop();
});

describe('pool swap during a reconnect burst', () => {
  it('serves every request across six swaps, each right after every app connection was killed', async () => {
    const clonePassword = await h.createAppRole('app_clone');
    const original = await h.currentSecret();
    const load = startSteadyLoad(h.service.url, { workers: 16 });
    await load.waitForRequests(200);

    let killed = 0;
    for (const username of ['app_clone', 'app', 'app_clone', 'app', 'app_clone', 'app']) {
      const password = username === 'app' ? String(original.value.password) : clonePassword;
      const versionId = await h.putVersion(JSON.stringify({ ...original.value, username, password }));
      await load.waitForRequests(50); // every worker back on a pooled connection
      const swap = { done: false };
      void once(h.service.pool, 'swap').then(() => (swap.done = true));
      await h.promote(versionId);
      killed += await h.killSessions(['app', 'app_clone']);
      // On a busy machine the new pool may fail to warm within the connect timeout; the old pool
      // keeps serving and the next cycle tries again, as it would on a task.
      while (!swap.done) await h.service.health.runOnce();
      await load.waitForRequests(100);
    }

    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(killed).toBeGreaterThan(0);
  });
});
