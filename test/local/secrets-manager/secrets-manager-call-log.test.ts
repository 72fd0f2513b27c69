/**
 * The local endpoint's call log: who called what, told apart by the SigV4 access key id, and never
 * a secret value. Also the raw wire format of errors, as seen without an SDK.
 */
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CallLog,
  callerFromAuthorization,
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../../local/secrets-manager/index.js';
import { clientFor, failureOf } from '../../helpers/secrets-manager-clients.js';

describe('callerFromAuthorization', () => {
  it('reads the access key id from the SigV4 credential scope', () => {
    expect(
      callerFromAuthorization(
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      ),
    ).toBe('AKIDEXAMPLE');
    expect(callerFromAuthorization(undefined)).toBe('anonymous');
    expect(callerFromAuthorization('Bearer token')).toBe('anonymous');
  });
});

describe('CallLog', () => {
  it('keeps the newest records up to its limit and counts per caller and operation', () => {
    const log = new CallLog({ limit: 3 });
    for (const [caller, operation] of [
      ['a', 'GetSecretValue'],
      ['a', 'GetSecretValue'],
      ['b', 'DescribeSecret'],
      ['a', 'PutSecretValue'],
    ] as const) {
      log.record({ time: new Date().toISOString(), caller, operation, outcome: 'ok', durationMs: 1 });
    }
    expect(log.list().map((r) => r.operation)).toEqual([
      'GetSecretValue',
      'DescribeSecret',
      'PutSecretValue',
    ]);
    expect(log.byCaller()).toEqual({ a: { GetSecretValue: 1, PutSecretValue: 1 }, b: { DescribeSecret: 1 } });
    log.clear();
    expect(log.list()).toEqual([]);
  });
});

describe('call log of the endpoint', () => {
  let sm: SecretsManagerEndpoint;
  let app: SecretsManagerClient;
  let rotator: SecretsManagerClient;

  beforeAll(async () => {
    sm = await startSecretsManagerEndpoint();
    app = clientFor(sm, 'AKIDAPPTASK');
    rotator = clientFor(sm, 'AKIDROTATOR');
  });

  beforeEach(() => {
    sm.calls.clear();
  });

  afterAll(async () => {
    app.destroy();
    rotator.destroy();
    await sm.close();
  });

  it('records each call under the caller named in the Authorization header', async () => {
    const name = `call-log/${randomUUID()}`;
    await rotator.send(new CreateSecretCommand({ Name: name, SecretString: '{"password":"dummy-1"}' }));
    await app.send(new GetSecretValueCommand({ SecretId: name }));
    await app.send(new GetSecretValueCommand({ SecretId: name }));
    expect((await failureOf(app.send(new GetSecretValueCommand({ SecretId: `${name}-missing` })))).name).toBe(
      'ResourceNotFoundException',
    );

    expect(sm.calls.byCaller()).toEqual({
      AKIDROTATOR: { CreateSecret: 1 },
      AKIDAPPTASK: { GetSecretValue: 3 },
    });
    const appCalls = sm.calls.list({ caller: 'AKIDAPPTASK' });
    expect(appCalls).toMatchObject([
      { operation: 'GetSecretValue', secretId: name, outcome: 'ok', status: 200 },
      { operation: 'GetSecretValue', secretId: name, outcome: 'ok', status: 200 },
      {
        operation: 'GetSecretValue',
        secretId: `${name}-missing`,
        outcome: 'error',
        status: 400,
        errorType: 'ResourceNotFoundException',
      },
    ]);
    for (const call of appCalls) {
      expect(Number.isNaN(Date.parse(call.time))).toBe(false);
      expect(call.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(sm.calls.list({ caller: 'AKIDROTATOR' })).toMatchObject([
      { operation: 'CreateSecret', secretId: name },
    ]);
  });

  it('never holds a secret value, a generated password or a rejected value', async () => {
    const canary = `canary-${randomUUID()}`;
    const name = `call-log/${randomUUID()}`;
    await rotator.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ password: `${canary}-1` }) }),
    );
    await rotator.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ password: `${canary}-2` }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await rotator.send(new UpdateSecretCommand({ SecretId: name, SecretString: `${canary}-3` }));
    const got = await app.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got.SecretString?.includes(canary)).toBe(true);
    const generated = (await rotator.send(new GetRandomPasswordCommand({}))).RandomPassword ?? '';
    expect(generated).toHaveLength(32);

    // A value over the 64 KiB limit is refused without being echoed back.
    const tooLong = await failureOf(
      rotator.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary.repeat(2000) })),
    );
    expect(tooLong.name).toBe('ValidationException');
    expect(JSON.stringify(tooLong).includes(canary)).toBe(false);

    const inProcess = JSON.stringify(sm.calls.list());
    const overHttp = await (await fetch(`${sm.url}/_local/calls`)).text();
    expect(sm.calls.list()).toHaveLength(6);
    for (const text of [inProcess, overHttp]) {
      expect(text.includes(canary)).toBe(false);
      expect(text.includes(generated)).toBe(false);
    }
  });

  it('answers unsigned and malformed requests in the service error format, logged as anonymous', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(sm.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', ...headers },
        body,
      });

    const unknown = await post({ 'x-amz-target': 'secretsmanager.LaunchRocket' }, '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const notJson = await post({ 'x-amz-target': 'secretsmanager.GetSecretValue' }, '{not json');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ __type: 'SerializationException' });

    const missing = await post({ 'x-amz-target': 'secretsmanager.GetSecretValue' }, '{}');
    expect(missing.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await missing.json()) as { message: string }).message).toContain("'secretId'");

    const password = await post({ 'x-amz-target': 'secretsmanager.GetRandomPassword' }, '');
    expect(password.status).toBe(200);
    expect(((await password.json()) as { RandomPassword: string }).RandomPassword).toHaveLength(32);

    expect(sm.calls.byCaller()).toEqual({
      anonymous: { LaunchRocket: 1, GetSecretValue: 2, GetRandomPassword: 1 },
    });
  });
});
