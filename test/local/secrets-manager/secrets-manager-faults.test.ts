/**
 * Fault injection of the local Secrets Manager endpoint: the controller's rules with a controlled
 * clock and dice, then each kind of fault as the real SDK sees it, in-process and over /_local.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultController,
  FaultSpecError,
  startSecretsManagerEndpoint,
  type FaultSpec,
  type SecretsManagerEndpoint,
} from '../../../local/secrets-manager/index.js';
import { clientFor, failureOf, timed } from '../../helpers/secrets-manager-clients.js';

describe('FaultController', () => {
  it('rejects malformed faults', () => {
    const faults = new FaultController();
    const bad: unknown[] = [
      { kind: 'meteor' },
      { kind: 'latency' },
      { kind: 'latency', latencyMs: -1 },
      { kind: 'error', errorType: 'Teapot' },
      { kind: 'throttle', probability: 1.5 },
      { kind: 'outage', mode: 'sideways' },
      { kind: 'throttle', durationMs: 0 },
      { kind: 'throttle', operations: 'GetSecretValue' },
    ];
    for (const spec of bad) expect(() => faults.set(spec as FaultSpec)).toThrow(FaultSpecError);
    expect(faults.list()).toEqual([]);
  });

  it('ends a fault when its window is over', () => {
    let now = 1_000_000;
    const faults = new FaultController({ now: () => now });
    const fault = faults.set({ kind: 'error', durationMs: 60_000 });
    expect(fault.expiresAt).toBe(new Date(now + 60_000).toISOString());
    expect(faults.decide('GetSecretValue').effect?.kind).toBe('error');

    now += 59_999;
    expect(faults.decide('GetSecretValue').effect?.kind).toBe('error');
    now += 1;
    expect(faults.decide('GetSecretValue').effect).toBeUndefined();
    expect(faults.list()).toEqual([]);
    faults.clear();
  });

  it('affects only the listed operations', () => {
    const faults = new FaultController();
    faults.set({ kind: 'throttle', operations: ['GetSecretValue', 'DescribeSecret'] });
    expect(faults.decide('GetSecretValue').effect?.kind).toBe('error');
    expect(faults.decide('DescribeSecret').effect?.kind).toBe('error');
    expect(faults.decide('PutSecretValue').effect).toBeUndefined();
  });

  it('affects only the listed callers', () => {
    const faults = new FaultController();
    faults.set({ kind: 'error', callers: ['AKIAAPP'] });
    expect(faults.decide('GetSecretValue', 'AKIAAPP').effect?.kind).toBe('error');
    expect(faults.decide('GetSecretValue', 'AKIAROTATOR').effect).toBeUndefined();
    expect(faults.decide('GetSecretValue').effect).toBeUndefined();
    expect(() => faults.set({ kind: 'error', callers: 'AKIAAPP' } as never)).toThrow(/callers/);
  });

  it('affects the given fraction of calls', () => {
    const rolls = [0.1, 0.3, 0.2, 0.9, 0.0, 0.25];
    const faults = new FaultController({ random: () => rolls.shift() ?? 1 });
    faults.set({ kind: 'error', probability: 0.25 });
    const hits = Array.from({ length: 6 }, () => faults.decide('GetSecretValue').effect !== undefined);
    expect(hits).toEqual([true, false, true, false, true, false]);
    expect(faults.list()[0]?.hits).toBe(3);

    const never = new FaultController();
    never.set({ kind: 'error', probability: 0 });
    for (let i = 0; i < 100; i++) expect(never.decide('GetSecretValue').effect).toBeUndefined();
  });

  it('adds up latencies and lets the first answering fault decide', () => {
    const faults = new FaultController();
    faults.set({ kind: 'latency', latencyMs: 100 });
    const throttle = faults.set({ kind: 'throttle' });
    faults.set({ kind: 'latency', latencyMs: 50 });
    faults.set({ kind: 'error', errorType: 'ServiceUnavailable' });

    const decision = faults.decide('GetSecretValue');
    expect(decision.delayMs).toBe(150);
    expect(decision.effect?.fault.id).toBe(throttle.id);
    expect(decision.effect?.kind === 'error' && decision.effect.error.type).toBe('ThrottlingException');

    expect(faults.clear(throttle.id)).toBe(1);
    const next = faults.decide('GetSecretValue');
    expect(next.effect?.kind === 'error' && next.effect.error.status).toBe(503);
    expect(faults.clear()).toBe(3);
    expect(faults.decide('GetSecretValue')).toEqual({ delayMs: 0 });
  });
});

describe('fault injection seen through the SDK', () => {
  let sm: SecretsManagerEndpoint;
  let client: SecretsManagerClient;
  const secretId = 'faults/app';

  beforeAll(async () => {
    sm = await startSecretsManagerEndpoint();
    client = clientFor(sm);
    await client.send(new CreateSecretCommand({ Name: secretId, SecretString: '{"password":"dummy"}' }));
  });

  afterEach(() => {
    sm.faults.clear();
  });

  afterAll(async () => {
    client.destroy();
    await sm.close();
  });

  const getValue = (c: SecretsManagerClient = client) =>
    c.send(new GetSecretValueCommand({ SecretId: secretId }));

  it('delays the chosen operation by the latency fault', async () => {
    const baseline = await timed(() => getValue());
    sm.faults.set({ kind: 'latency', latencyMs: 250, operations: ['GetSecretValue'] });
    sm.calls.clear();
    const delayed = await timed(() => getValue());
    const other = await timed(() => client.send(new DescribeSecretCommand({ SecretId: secretId })));

    expect(delayed.result.SecretString).toBeDefined();
    expect(delayed.ms).toBeGreaterThan(baseline.ms);
    expect(delayed.ms).toBeGreaterThan(other.ms);
    const [get, describeCall] = sm.calls.list();
    expect(get).toMatchObject({ operation: 'GetSecretValue', outcome: 'ok', fault: 'latency' });
    expect(describeCall).toMatchObject({ operation: 'DescribeSecret', outcome: 'ok' });
    expect(describeCall?.fault).toBeUndefined();
  });

  it('answers InternalServiceError (500) and ServiceUnavailable (503), which the SDK retries', async () => {
    sm.faults.set({ kind: 'error' });
    const internal = await failureOf(getValue());
    expect(internal.name).toBe('InternalServiceError');
    expect(internal.$metadata?.httpStatusCode).toBe(500);
    sm.faults.clear();

    sm.faults.set({ kind: 'error', errorType: 'ServiceUnavailable' });
    sm.calls.clear();
    const retrying = clientFor(sm, 'AKIDRETRYING', { maxAttempts: 3 });
    try {
      const unavailable = await failureOf(getValue(retrying));
      expect(unavailable.name).toBe('ServiceUnavailable');
      expect(unavailable.$metadata?.httpStatusCode).toBe(503);
    } finally {
      retrying.destroy();
    }
    const calls = sm.calls.list({ caller: 'AKIDRETRYING' });
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.errorType === 'ServiceUnavailable' && c.fault === 'error')).toBe(true);
  });

  it('throttles with ThrottlingException (400), which the SDK treats as throttling and retries', async () => {
    sm.faults.set({ kind: 'throttle', operations: ['GetSecretValue'] });
    const throttled = await failureOf(getValue());
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.$metadata?.httpStatusCode).toBe(400);
    expect(await client.send(new DescribeSecretCommand({ SecretId: secretId }))).toMatchObject({
      Name: secretId,
    });

    sm.calls.clear();
    const retrying = clientFor(sm, 'AKIDRETRYING', { maxAttempts: 2 });
    try {
      expect((await failureOf(getValue(retrying))).name).toBe('ThrottlingException');
    } finally {
      retrying.destroy();
    }
    expect(sm.calls.byCaller().AKIDRETRYING).toEqual({ GetSecretValue: 2 });
  });

  it('resets connections during a reset outage', async () => {
    sm.faults.set({ kind: 'outage', mode: 'reset' });
    sm.calls.clear();
    const failure = await failureOf(getValue());
    expect(failure.$metadata?.httpStatusCode).toBeUndefined();
    expect(sm.calls.list()).toMatchObject([
      { operation: 'GetSecretValue', outcome: 'dropped', fault: 'outage' },
    ]);

    sm.faults.clear();
    expect((await getValue()).SecretString).toBeDefined();
  });

  it('holds requests unanswered during a hang outage, so clients time out', async () => {
    sm.faults.set({ kind: 'outage' });
    sm.calls.clear();
    const impatient = clientFor(sm, 'AKIDIMPATIENT', {
      requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
    });
    try {
      const failure = await failureOf(getValue(impatient));
      expect(failure.name).toMatch(/Timeout/i);
    } finally {
      impatient.destroy();
    }
    // Ending the outage releases the held request; its client is gone, so it is dropped.
    sm.faults.clear();
    expect((await getValue()).SecretString).toBeDefined();
    expect(sm.calls.list({ caller: 'AKIDIMPATIENT' })).toMatchObject([
      { outcome: 'dropped', fault: 'outage' },
    ]);
  });

  it('answers a held request once the outage window is over', async () => {
    const baseline = await timed(() => getValue());
    sm.faults.set({ kind: 'outage', durationMs: 400, operations: ['GetSecretValue'] });
    sm.calls.clear();
    const held = await timed(() => getValue());
    expect(held.result.SecretString).toBeDefined();
    expect(held.ms).toBeGreaterThan(baseline.ms);
    expect(sm.faults.list()).toEqual([]);
    expect(sm.calls.list()).toMatchObject([{ operation: 'GetSecretValue', outcome: 'ok', fault: 'outage' }]);
  });

  it('is controlled over HTTP under /_local', async () => {
    const control = (path: string, init?: RequestInit) => fetch(`${sm.url}/_local/${path}`, init);

    const put = await control('faults', {
      method: 'PUT',
      body: JSON.stringify([
        { kind: 'throttle', operations: ['GetSecretValue'] },
        { kind: 'latency', latencyMs: 1 },
      ]),
    });
    expect(put.status).toBe(200);
    const { faults } = (await put.json()) as { faults: { id: string; kind: string }[] };
    expect(faults.map((f) => f.kind)).toEqual(['throttle', 'latency']);
    expect((await failureOf(getValue())).name).toBe('ThrottlingException');

    const listed = (await (await control('faults')).json()) as { faults: { id: string }[] };
    expect(listed.faults.map((f) => f.id)).toEqual(faults.map((f) => f.id));

    expect((await control(`faults/${faults[0]?.id ?? ''}`, { method: 'DELETE' })).status).toBe(200);
    expect((await getValue()).SecretString).toBeDefined();
    expect((await control('faults', { method: 'DELETE' })).status).toBe(200);
    expect(sm.faults.list()).toEqual([]);

    const invalid = await control('faults', { method: 'PUT', body: JSON.stringify({ kind: 'latency' }) });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toMatch(/latencyMs/);
    expect(sm.faults.list()).toEqual([]);

    const calls = (await (await control('calls?operation=GetSecretValue')).json()) as {
      calls: { operation: string; errorType?: string }[];
      byCaller: Record<string, Record<string, number>>;
    };
    expect(calls.calls.length).toBeGreaterThan(0);
    expect(calls.calls.every((c) => c.operation === 'GetSecretValue')).toBe(true);
    expect(calls.calls.some((c) => c.errorType === 'ThrottlingException')).toBe(true);
    expect(calls.byCaller.AKIDLOCALTEST?.GetSecretValue).toBeGreaterThan(0);

    expect((await control('calls', { method: 'DELETE' })).status).toBe(200);
    expect(sm.calls.list()).toEqual([]);
  });
});
