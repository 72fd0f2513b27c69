import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../../app/src/credentials/credential-store.js';
import { createMetrics } from '../../../../app/src/metrics.js';
import { FakeSecretSource as FakeSource, secret } from '../../../helpers/fake-secret-source.js';
import { captureLogs } from '../../../helpers/log-capture.js';

function setup() {
  const source = new FakeSource();
  source.put('v1', secret('password-one-aaaaaa'), 'AWSCURRENT');
  let now = 1_000_000;
  const logs = captureLogs();
  const store = new CredentialStore({
    source,
    fallback: {},
    logger: logs.logger,
    metrics: createMetrics({ defaultMetrics: false }),
    scrubber: logs.scrubber,
    backoff: { baseMs: 1000, maxMs: 8000 },
    now: () => now,
    random: () => 1,
  });
  return { source, store, logs, advance: (ms: number) => (now += ms) };
}

describe('CredentialStore', () => {
  it('loads AWSCURRENT and logs where each connection field came from, without the password', async () => {
    const { store, logs } = setup();
    const active = await store.load();
    expect(active).toMatchObject({ versionId: 'v1', stage: 'AWSCURRENT', credentials: { username: 'app' } });
    const loaded = logs.entries().find((e) => e.msg?.toString().startsWith('database credentials loaded'));
    expect(loaded).toMatchObject({
      sources: { host: 'secret', port: 'secret', dbname: 'secret' },
      username: 'app',
    });
    expect(logs.lines.join('')).not.toContain('password-one-aaaaaa');
  });

  it('makes one DescribeSecret per check and fetches the value only when AWSCURRENT moved', async () => {
    const { source, store } = setup();
    await store.load();
    source.calls.getByStage = 0;
    expect(await store.checkForNewVersion()).toBe('unchanged');
    expect(source.calls).toEqual({ getByStage: 0, stages: 1 });

    source.put('v2', secret('password-two-bbbbbb'), 'AWSCURRENT');
    const changes: string[] = [];
    store.on('change', (next, prev) => changes.push(`${prev.versionId}->${next.versionId}`));
    expect(await store.checkForNewVersion()).toBe('changed');
    expect(source.calls).toEqual({ getByStage: 1, stages: 2 });
    expect(changes).toEqual(['v1->v2']);
    expect(store.active.credentials.password).toBe('password-two-bbbbbb');
  });

  it('shares one refresh between concurrent callers', async () => {
    const { source, store } = setup();
    await store.load();
    source.put('v2', secret('password-two-bbbbbb'), 'AWSCURRENT');
    let open!: () => void;
    source.gate = new Promise((resolve) => (open = resolve));
    source.calls = { getByStage: 0, stages: 0 };
    const changes: string[] = [];
    store.on('change', (next) => changes.push(next.versionId));
    const checks = Array.from({ length: 20 }, () => store.checkForNewVersion());
    const authRefreshes = Array.from({ length: 20 }, () => store.refreshAfterAuthFailure('v1'));
    open();
    // Each kind ran as one flight: every caller of a kind got the same answer.
    expect(new Set(await Promise.all(checks)).size).toBe(1);
    expect(new Set(await Promise.all(authRefreshes)).size).toBe(1);
    expect(source.calls.stages).toBe(1);
    // Whichever flight adopted v2 first, it was adopted exactly once.
    expect(changes).toEqual(['v2']);
    expect(source.calls.getByStage).toBeLessThanOrEqual(2);
  });

  it('serves the cached value while Secrets Manager fails, backing off within bounds', async () => {
    const { source, store, advance, logs } = setup();
    await store.load();
    source.failing = true;
    source.calls.stages = 0;

    expect(await store.checkForNewVersion()).toBe('error');
    expect(store.active.versionId).toBe('v1');
    expect(store.lastCheck?.error).toBe('InternalServiceError');

    // Inside the backoff window nothing is called.
    expect(await store.checkForNewVersion()).toBe('backing-off');
    expect(await store.refreshAfterAuthFailure('v1')).toBe('backing-off');
    expect(await store.candidate('AWSPENDING')).toBeUndefined();
    expect(source.calls.stages).toBe(1);

    // Windows start at baseMs, double (random()=1 → the upper bound) and stop at maxMs.
    const windows: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = source.calls.stages;
      let waited = 0;
      while (source.calls.stages === before) {
        advance(250);
        waited += 250;
        await store.checkForNewVersion();
      }
      windows.push(waited);
    }
    expect(windows).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);

    source.failing = false;
    advance(8000);
    expect(await store.checkForNewVersion()).toBe('unchanged');
    expect(store.lastCheck?.error).toBeUndefined();
    expect(logs.entries().filter((e) => e.level === 40).length).toBeGreaterThan(0);
  });

  it('rejects a malformed version once, keeps the credentials, names the field and leaks nothing', async () => {
    const { source, store, logs } = setup();
    await store.load();
    const leaked = 'password-bad-cccccc';
    source.put('v2', JSON.stringify({ username: 'app', host: 'db', passwd: leaked }), 'AWSCURRENT');
    expect(await store.checkForNewVersion()).toBe('rejected');
    expect(store.active.versionId).toBe('v1');
    source.calls.getByStage = 0;
    expect(await store.checkForNewVersion()).toBe('rejected');
    expect(source.calls.getByStage).toBe(0);

    const errors = logs.entries().filter((e) => e.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ versionId: 'v2', field: 'password', keptVersionId: 'v1' });
    expect(String(errors[0]?.msg)).toContain('secret is missing the "password" field');

    source.put('v3', `{"password": "${leaked}", `, 'AWSCURRENT');
    expect(await store.checkForNewVersion()).toBe('rejected');
    expect(logs.lines.join('')).not.toContain(leaked);

    source.put('v4', secret('password-good-dddddd'), 'AWSCURRENT');
    expect(await store.checkForNewVersion()).toBe('changed');
    expect(store.active.versionId).toBe('v4');
  });

  it('stays on an adopted AWSPENDING during a single-user window, then follows it to AWSCURRENT', async () => {
    const { source, store } = setup();
    await store.load();
    source.put('v2', secret('password-two-bbbbbb'), 'AWSPENDING');
    const pending = await store.candidate('AWSPENDING');
    if (!pending) throw new Error('expected an AWSPENDING candidate');
    expect(pending.versionId).toBe('v2');
    store.adopt(pending, 'auth-fallback-AWSPENDING');
    expect(await store.checkForNewVersion()).toBe('unchanged');
    expect(store.active).toMatchObject({ versionId: 'v2', stage: 'AWSPENDING' });

    source.stageMap = { AWSCURRENT: 'v2', AWSPREVIOUS: 'v1' };
    expect(await store.checkForNewVersion()).toBe('unchanged');
    expect(store.active).toMatchObject({ versionId: 'v2', stage: 'AWSCURRENT' });
  });

  it("reads a rotation's AWSPENDING once when a cycle sees it, holds it without adopting it, and drops it after", async () => {
    const { source, store } = setup();
    await store.load();
    expect(store.readAhead).toBeUndefined();
    source.put('v2', secret('password-two-bbbbbb'), 'AWSPENDING');
    const before = source.calls.getByStage;
    expect(await store.checkForNewVersion()).toBe('unchanged');
    expect(source.calls.getByStage).toBe(before + 1);
    expect(store.readAhead).toMatchObject({ versionId: 'v2', stage: 'AWSPENDING' });
    expect(store.active.versionId).toBe('v1'); // a candidate, not adopted
    // the next cycles of the same rotation cost no further read
    await store.checkForNewVersion();
    await store.checkForNewVersion();
    expect(source.calls.getByStage).toBe(before + 1);
    // the rotation finished: AWSCURRENT moved to it and AWSPENDING is gone
    source.stageMap = { AWSCURRENT: 'v2', AWSPREVIOUS: 'v1' };
    expect(await store.checkForNewVersion()).toBe('changed');
    expect(store.readAhead).toBeUndefined();
  });

  it('never holds a malformed AWSPENDING as a candidate, and reads it only once', async () => {
    const { source, store, logs } = setup();
    await store.load();
    source.put('v2', JSON.stringify({ password: 'password-bad-cccccc' }), 'AWSPENDING');
    await store.checkForNewVersion();
    await store.checkForNewVersion();
    expect(store.readAhead).toBeUndefined();
    expect(source.calls.getByStage).toBe(2); // load + one read of v2
    expect(logs.lines.filter((l) => l.includes('secret version rejected'))).toHaveLength(1);
    expect(logs.lines.join('')).not.toContain('password-bad-cccccc');
  });

  it('after an auth failure reports whether AWSCURRENT holds anything new', async () => {
    const { source, store } = setup();
    await store.load();
    expect(await store.refreshAfterAuthFailure('v1')).toBe('unchanged');
    source.put('v2', secret('password-two-bbbbbb'), 'AWSCURRENT');
    expect(await store.refreshAfterAuthFailure('v1')).toBe('changed');
    expect(store.active.versionId).toBe('v2');
    // A caller that failed on v1 after v2 was adopted is told to retry at once.
    expect(await store.refreshAfterAuthFailure('v1')).toBe('changed');
  });

  it('fails startup on a malformed secret, naming the field', async () => {
    const { source, store } = setup();
    source.versions.set('v1', JSON.stringify({ username: 'app', password: 'password-one-aaaaaa' }));
    await expect(store.load()).rejects.toThrow('secret has no "host" field and DB_HOST is not set');
  });
});
