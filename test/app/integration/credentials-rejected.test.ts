/**
 * The database refuses every version the secret holds (someone changed the password by hand and
 * told nobody). Requests must end in a clean 503 after the retry budget, not hang and not 500, and
 * the app must not hammer Secrets Manager meanwhile. When the database is put right, it recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPALS } from '../../../local/embedded-stack.js';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';

const RETRY_SECONDS = 3;
let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness({}, { tuning: { authRetrySeconds: RETRY_SECONDS } });
});

afterAll(async () => {
  await h.stop();
});

describe('credentials rejected for every version', () => {
  it('answers 503 after the retry budget, with bounded Secrets Manager calls, then recovers', async () => {
    const { value } = await h.currentSecret();
    await h.setRolePassword('app', await h.newPassword()); // a password no secret version holds
    await h.killSessions(['app']);
    h.secretsManager.calls.clear();

    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => fetch(`${h.service.url}/api/products/${1 + i}`)),
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'DATABASE_UNAVAILABLE',
      );
      expect(response.headers.get('retry-after')).not.toBeNull();
    }

    // Eight concurrent requests retried for the whole budget, yet recoveries were shared and spaced:
    // each costs at most three calls (AWSCURRENT, AWSPENDING, AWSPREVIOUS), at most one per second.
    const calls = h.secretsManager.calls.list({ caller: LOCAL_PRINCIPALS.app.accessKeyId });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(3 * (Math.ceil(elapsedSeconds) + 1));

    // Put the database right: the next request succeeds.
    await h.setRolePassword('app', String(value.password));
    const after = await fetch(`${h.service.url}/api/products/1`);
    expect(after.status).toBe(200);
  });

  it('wrote no password to the logs', () => {
    const output = h.logs.lines.join('\n');
    expect(h.passwords.filter((p) => output.includes(p))).toHaveLength(0);
  });
});
