/**
 * A service whose startup fails after it started things (here: its port is taken) stops them all
 * before it reports the failure: no health cycle keeps calling Secrets Manager against a closed pool.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../app/src/config.js';
import { startService } from '../../../app/src/service.js';
import { LOCAL_PRINCIPALS } from '../../../local/embedded-stack.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';

let h: ServiceHarness;

beforeAll(async () => {
  // The running service's own cycle, every second, is the clock of the test below.
  h = await startServiceHarness({ CREDENTIAL_REFRESH_SECONDS: '1' });
});

afterAll(async () => {
  await h.stop();
});

const describeCalls = (principal: keyof typeof LOCAL_PRINCIPALS) =>
  h.secretsManager.calls.list({
    caller: LOCAL_PRINCIPALS[principal].accessKeyId,
    operation: 'DescribeSecret',
  }).length;

/** Resolves once the running service has made `more` further DescribeSecret calls (bounded). */
async function runningServiceCycles(more: number): Promise<void> {
  const target = describeCalls('app') + more;
  for (let i = 0; i < 200 && describeCalls('app') < target; i++) await delay(25);
  expect(describeCalls('app')).toBeGreaterThanOrEqual(target);
}

describe('startup that fails after the health cycle started', () => {
  it('rejects naming the cause and stops its health cycle, pool and listener', async () => {
    const logs = captureLogs('info');
    const config = loadConfig({
      DB_SECRET_ID: h.bootstrap.appSecretArn,
      DB_SSL: 'disable',
      HOST: '127.0.0.1',
      PORT: new URL(h.service.url).port, // taken by the running service
      DB_POOL_MAX: '2',
      CREDENTIAL_REFRESH_SECONDS: '1',
    });
    await expect(
      startService({
        config,
        logger: logs.logger,
        scrubber: logs.scrubber,
        // Another principal than the running service's: its calls are counted apart.
        secretsManager: h.client('admin'),
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const afterFailure = describeCalls('admin');
    expect(afterFailure).toBeGreaterThan(0); // its first cycle ran before the listen failed

    // Two cycles of the running service: a cycle left running by the failed one would have called too.
    await runningServiceCycles(2);
    expect(describeCalls('admin')).toBe(afterFailure);
    expect(logs.lines.join('\n')).not.toMatch(/database unreachable/);
  });
});
