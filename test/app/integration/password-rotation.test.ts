/**
 * A password change done outside the app, with requests running: the app must not fail one.
 * Real PostgreSQL (SCRAM), the local Secrets Manager endpoint over HTTP, the app on a real port.
 * The refresh timer is parked, so the app learns of each change through the path under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

let h: ServiceHarness;

beforeAll(async () => {
  h = await startServiceHarness();
});

afterAll(async () => {
  await h.stop();
});

const counter = (name: string) => async () => {
  const metric = await h.service.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
};
const authRetries = counter('db_auth_failure_retries_total');
const poolSwaps = counter('db_pool_swaps_total');
const secretsManagerCalls = counter('secretsmanager_calls_total');

/** Rotate the app password the way a single-user rotation does, up to (not including) finishSecret. */
async function stagePasswordChange(): Promise<{ versionId: string; password: string }> {
  const { value } = await h.currentSecret();
  const password = await h.newPassword();
  const versionId = await h.putVersion(JSON.stringify({ ...value, password }));
  await h.setRolePassword('app', password);
  return { versionId, password };
}

describe('password rotated outside the app', () => {
  it('serves every request when AWSCURRENT moved and every connection is killed', async () => {
    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(100);
    const retriesBefore = await authRetries();

    const { versionId } = await stagePasswordChange();
    await h.promote(versionId);
    expect(await h.killSessions(['app'])).toBeGreaterThan(0);
    await load.waitForRequests(300);
    const result = await load.stop();

    expect(result.failures).toEqual([]);
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSCURRENT' });
    // The app learnt through a rejected connection, not the (parked) timer; no new pool was needed.
    expect(await authRetries()).toBeGreaterThan(retriesBefore);
    expect(await poolSwaps()).toBe(0);
  });

  it('serves every request in the single-user window through AWSPENDING, then follows AWSCURRENT', async () => {
    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(100);

    // setSecret has run (the database has the new password) but finishSecret has not.
    const { versionId } = await stagePasswordChange();
    await h.killSessions(['app']);
    await load.waitForRequests(300);
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSPENDING' });

    // A health cycle during the window must not flip back to the stale AWSCURRENT.
    await h.service.health.runOnce();
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSPENDING' });

    await h.promote(versionId);
    await h.service.health.runOnce();
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSCURRENT' });
    await load.waitForRequests(100);

    const result = await load.stop();
    expect(result.failures).toEqual([]);
  });

  it('with AWSPENDING read ahead by a cycle, recovers from the refused password with no Secrets Manager call', async () => {
    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(100);
    const { versionId } = await stagePasswordChange();
    // The cycle sees the rotation under way and reads its AWSPENDING version; nothing is adopted yet.
    await h.service.health.runOnce();
    expect(h.service.store.readAhead?.versionId).toBe(versionId);
    expect(h.service.store.active.versionId).not.toBe(versionId);

    const callsBefore = await secretsManagerCalls();
    await h.killSessions(['app']);
    await load.waitForRequests(300);
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSPENDING' });
    expect(await secretsManagerCalls()).toBe(callsBefore);

    await h.promote(versionId);
    await h.service.health.runOnce();
    expect(h.service.store.active).toMatchObject({ versionId, stage: 'AWSCURRENT' });
    expect(h.service.store.readAhead).toBeUndefined();
    const result = await load.stop();
    expect(result.failures).toEqual([]);
  });

  it('keeps serving on cached credentials through a Secrets Manager outage, with bounded calls', async () => {
    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(50);
    h.secretsManager.calls.clear();
    const fault = h.secretsManager.faults.set({ kind: 'error', errorType: 'InternalServiceError' });

    const cycles = [];
    for (let i = 0; i < 5; i++) cycles.push((await h.service.health.runOnce()).credentials);
    expect(cycles[0]).toBe('error');
    expect(cycles.slice(1)).toContain('backing-off');
    // New connections still work on the cached password.
    await h.killSessions(['app']);
    await load.waitForRequests(200);
    const ready = await fetch(`${h.service.url}/health/ready`);
    expect(ready.status).toBe(200);
    const readyBody = (await ready.json()) as { credentials: { lastCheckError?: string } };
    expect(readyBody.credentials.lastCheckError).toBe('InternalServiceError');

    // Five cycles during the outage cost at most one failed call each (SDK retry included) and
    // nothing while backing off.
    const appCalls = h.secretsManager.calls.list({ caller: 'AKIALOCALAPP00000001' });
    expect(appCalls.length).toBeGreaterThan(0);
    expect(appCalls.length).toBeLessThanOrEqual(4);

    // Secrets Manager recovers and a rotation happens while the app is still backing off: the
    // rejected connection makes it retry until the backoff window ends, then adopt the new version.
    h.secretsManager.faults.clear(fault.id);
    const { versionId } = await stagePasswordChange();
    await h.promote(versionId);
    await h.killSessions(['app']);
    await load.waitForRequests(300);
    const result = await load.stop();

    expect(result.failures).toEqual([]);
    expect(h.service.store.active.versionId).toBe(versionId);
  });

  it('keeps the old credentials when a malformed version is published, naming the problem once', async () => {
    const load = startSteadyLoad(h.service.url);
    await load.waitForRequests(50);
    const before = h.service.store.active;
    const generation = h.service.pool.stats().generation;
    const { value } = await h.currentSecret();
    const leaked = await h.newPassword();

    const notJson = await h.putVersion(`{"username":"app","password":"${leaked}"`, 'AWSCURRENT');
    expect((await h.service.health.runOnce()).credentials).toBe('rejected');
    expect((await h.service.health.runOnce()).credentials).toBe('rejected');
    const noPassword = await h.putVersion(
      JSON.stringify({ ...value, password: undefined, pass: leaked }),
      'AWSCURRENT',
    );
    expect((await h.service.health.runOnce()).credentials).toBe('rejected');
    expect(h.service.store.active.versionId).toBe(before.versionId);
    expect(h.service.pool.stats().generation).toBe(generation);

    await h.killSessions(['app']);
    await load.waitForRequests(200);

    const errors = h.logs
      .entries()
      .filter((e) => e.level === 50 && String(e.msg).startsWith('secret version rejected'));
    expect(errors.map((e) => [e.versionId, e.field ?? null])).toEqual([
      [notJson, null],
      [noPassword, 'password'],
    ]);
    expect(String(errors[0]?.msg)).toMatch(/not valid JSON/);
    expect(String(errors[1]?.msg)).toMatch(/missing the "password" field/);

    // A good version is adopted on the next cycle.
    const good = await h.putVersion(JSON.stringify(value), 'AWSCURRENT');
    expect((await h.service.health.runOnce()).credentials).toBe('changed');
    expect(h.service.store.active.versionId).toBe(good);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
  });

  it('wrote no password to the logs or /metrics', async () => {
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text();
    const ready = await (await fetch(`${h.service.url}/health/ready`)).text();
    const output = h.logs.lines.join('\n') + metrics + ready;
    expect(h.passwords.length).toBeGreaterThan(4);
    const leaks = h.passwords.filter((p) => output.includes(p));
    expect(leaks).toHaveLength(0);
  });
});
