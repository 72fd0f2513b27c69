import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../../app/src/credentials/credential-store.js';
import type { DbCredentials } from '../../../../app/src/credentials/secret-shape.js';
import { AuthRecovery } from '../../../../app/src/db/auth-recovery.js';
import { DatabaseUnavailableError } from '../../../../app/src/db/database.js';
import { createMetrics } from '../../../../app/src/metrics.js';
import { FakeSecretSource, secret } from '../../../helpers/fake-secret-source.js';
import { counterValues } from '../../../helpers/counter-values.js';
import { captureLogs } from '../../../helpers/log-capture.js';

const PASSWORDS = {
  v0: 'password-zero-000000',
  v1: 'password-one-1111111',
  v2: 'password-two-2222222',
};

/**
 * A real credential store over an in-memory Secrets Manager, and a database stand-in that accepts
 * the passwords in `accepted`: the recovery's decisions, with no database and a clock of its own.
 */
async function setup(username = 'app_a') {
  const source = new FakeSecretSource();
  source.put('v1', secret(PASSWORDS.v1, username), 'AWSCURRENT');
  let now = 1_000_000;
  const logs = captureLogs();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = new CredentialStore({
    source,
    fallback: {},
    logger: logs.logger,
    metrics,
    scrubber: logs.scrubber,
    now: () => now,
  });
  await store.load();
  const accepted = new Set<string>();
  const logins: string[] = [];
  let follows = 0;
  const recovery = new AuthRecovery({
    store,
    metrics,
    logger: logs.logger,
    now: () => now,
    random: () => 0,
    logIn: (c: DbCredentials) => {
      logins.push(c.username);
      if (accepted.has(c.password)) return Promise.resolve();
      const refused = new Error(`password authentication failed for user "${c.username}"`);
      return Promise.reject(Object.assign(refused, { code: '28P01' }));
    },
    follow: () => {
      follows++;
      return Promise.resolve();
    },
  });
  const outcomes = () => counterValues(metrics.registry, 'db_auth_failure_recoveries_total', 'outcome');
  return {
    source,
    store,
    logs,
    recovery,
    accepted,
    logins,
    outcomes,
    follows: () => follows,
    advance: (ms: number) => (now += ms),
  };
}

const noSecretIn = (lines: string[]) => {
  const text = lines.join('\n');
  for (const password of Object.values(PASSWORDS)) expect(text).not.toContain(password);
};

describe('AuthRecovery', () => {
  it("adopts a rotation's AWSPENDING for the same user at once, from the version read ahead: no login, no Secrets Manager call", async () => {
    const t = await setup();
    t.source.put('v2', secret(PASSWORDS.v2, 'app_a'), 'AWSPENDING');
    await t.store.checkForNewVersion(); // the health cycle sees the rotation and reads AWSPENDING ahead
    const calls = t.source.calls.getByStage;

    expect(await t.recovery.recover('v1')).toBe(true);

    expect(t.store.active).toMatchObject({ versionId: 'v2', stage: 'AWSPENDING' });
    expect(t.logins).toEqual([]);
    expect(t.source.calls.getByStage).toBe(calls);
    expect(t.follows()).toBe(1);
    expect(await t.outcomes()).toEqual({ recovered: 1 });
  });

  it('shares one recovery among every caller refused the same version, and the version in use waits for it', async () => {
    const t = await setup();
    t.source.put('v2', secret(PASSWORDS.v2, 'app_a'), 'AWSPENDING');
    let open!: () => void;
    t.source.gate = new Promise((resolve) => (open = resolve));
    const calls = t.source.calls.getByStage;

    const recoveries = Array.from({ length: 5 }, () => t.recovery.recover('v1'));
    let settled = false;
    const waiting = t.recovery.settled().then(() => (settled = true));
    await turn();
    expect(t.recovery.idle).toBe(false);
    expect(settled).toBe(false);

    open();
    expect(await Promise.all(recoveries)).toEqual([true, true, true, true, true]);
    await waiting;
    expect(t.recovery.idle).toBe(true);
    // AWSCURRENT (unchanged), then AWSPENDING, adopted: one recovery's calls for five callers.
    expect(t.source.calls.getByStage - calls).toBe(2);
    expect(t.store.active.versionId).toBe('v2');
    expect(t.follows()).toBe(1);
  });

  it('asks Secrets Manager at most once a second about the same refused version', async () => {
    const t = await setup();
    const calls = t.source.calls.getByStage;

    expect(await t.recovery.recover('v1')).toBe(false); // nothing to try: AWSCURRENT unchanged, no candidates
    expect(t.source.calls.getByStage - calls).toBe(3); // AWSCURRENT, AWSPENDING, AWSPREVIOUS
    expect(await t.recovery.recover('v1')).toBe(false);
    expect(t.source.calls.getByStage - calls).toBe(3);

    t.advance(1000);
    await t.recovery.recover('v1');
    expect(t.source.calls.getByStage - calls).toBe(6);
    expect(await t.outcomes()).toEqual({ retry: 2 });
  });

  it("makes another user's version log in first: a refused login is logged by its code, and AWSPREVIOUS is tried next", async () => {
    const t = await setup('app_a');
    t.source.put('v2', secret(PASSWORDS.v2, 'app_b'), 'AWSPENDING');
    t.source.put('v0', secret(PASSWORDS.v0, 'app_b'), 'AWSPREVIOUS');
    t.accepted.add(PASSWORDS.v0);

    expect(await t.recovery.recover('v1')).toBe(true);

    expect(t.logins).toEqual(['app_b', 'app_b']);
    expect(t.store.active).toMatchObject({ versionId: 'v0', stage: 'AWSPREVIOUS' });
    const refused = t.logs.entries().find((e) => e.msg === 'fallback credentials did not log in');
    expect(refused).toMatchObject({ stage: 'AWSPENDING', versionId: 'v2', code: '28P01' });
    noSecretIn(t.logs.lines);
  });

  it('follows a new AWSCURRENT without a login (the rotation finished while the old one was refused)', async () => {
    const t = await setup('app_a');
    t.source.put('v2', secret(PASSWORDS.v2, 'app_b'), 'AWSCURRENT');

    expect(await t.recovery.recover('v1')).toBe(true);

    expect(t.store.active.versionId).toBe('v2');
    expect(t.logins).toEqual([]);
    expect(t.follows()).toBe(1);
  });

  it('never trusts a version the database has refused: the next time it is a candidate, it must log in', async () => {
    const t = await setup('app_a');
    t.source.put('v2', secret(PASSWORDS.v2, 'app_a'), 'AWSPENDING');
    await t.store.checkForNewVersion();
    await t.recovery.recover('v1'); // the single-user window: v2 adopted on trust
    expect(t.store.active.versionId).toBe('v2');

    // The rotation was rolled back: the database refuses v2, and the recovery goes back to AWSCURRENT.
    await t.recovery.recover('v2');
    expect(t.store.active.versionId).toBe('v1');

    // The database refuses v1 too: v2 is still held, but no longer trusted on sight.
    t.advance(1000);
    await t.recovery.recover('v1');
    expect(t.logins).toEqual(['app_a']);
    expect(t.store.active.versionId).toBe('v1');
    noSecretIn(t.logs.lines);
  });

  it("gives up with a 503's error once the checkout's time is up, counting it as exhausted", async () => {
    const t = await setup();
    const refusal = new Error('password authentication failed');

    await expect(
      t.recovery.afterRefusal(
        refusal,
        { versionId: 'v1', username: 'app_a', attempt: 0, giveUpAt: 0 },
        () => true,
      ),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);

    expect(await t.outcomes()).toMatchObject({ exhausted: 1 });
  });
});
