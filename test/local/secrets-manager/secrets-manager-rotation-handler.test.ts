/**
 * RotateSecret on the local endpoint: what the service does itself (an AWSPENDING version reserved
 * under the token, the rotation function invoked after the response) with a registered handler
 * standing in for the rotation Lambda.
 */
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startSecretsManagerEndpoint,
  type RotationRequest,
  type SecretsManagerEndpoint,
} from '../../../local/secrets-manager/index.js';
import { clientFor, deferred, failureOf } from '../../helpers/secrets-manager-clients.js';

describe('RotateSecret and the rotation handler', () => {
  let sm: SecretsManagerEndpoint;
  let admin: SecretsManagerClient;
  let rotator: SecretsManagerClient;

  beforeAll(async () => {
    sm = await startSecretsManagerEndpoint();
    admin = clientFor(sm, 'AKIDADMIN');
    rotator = clientFor(sm, 'AKIDROTATOR');
  });

  afterEach(() => {
    sm.setRotationHandler(undefined);
  });

  afterAll(async () => {
    admin.destroy();
    rotator.destroy();
    await sm.close();
  });

  const newSecret = async (): Promise<{ name: string; arn: string; current: string }> => {
    const name = `rotation/${randomUUID()}`;
    const created = await admin.send(
      new CreateSecretCommand({ Name: name, SecretString: '{"password":"dummy-0"}' }),
    );
    return { name, arn: created.ARN ?? '', current: created.VersionId ?? '' };
  };
  const describeSecret = (name: string) => admin.send(new DescribeSecretCommand({ SecretId: name }));

  /** createSecret and finishSecret of a rotation function, as the rotator would call them. */
  const rotateLikeTheRotationFunction = async ({ secretId, token }: RotationRequest): Promise<void> => {
    const pendingRead = await failureOf(
      rotator.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      ),
    );
    expect(pendingRead.name).toBe('ResourceNotFoundException');
    await rotator.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: '{"password":"dummy-rotated"}',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const described = await rotator.send(new DescribeSecretCommand({ SecretId: secretId }));
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes('AWSCURRENT'),
    )?.[0];
    await rotator.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: current,
      }),
    );
    await rotator.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
  };

  it('without a handler only records rotation as enabled', async () => {
    const { name, current } = await newSecret();
    const token = randomUUID();
    const rotated = await admin.send(
      new RotateSecretCommand({
        SecretId: name,
        ClientRequestToken: token,
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:rotator',
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(rotated).toMatchObject({ Name: name, VersionId: token });
    const described = await describeSecret(name);
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe('arn:aws:lambda:us-east-1:000000000000:function:rotator');
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });
    expect(described.NextRotationDate).toBeInstanceOf(Date);
    expect(described.VersionIdsToStages).toEqual({ [current]: ['AWSCURRENT'] });
  });

  it('answers before the handler finishes, with AWSPENDING reserved under the token', async () => {
    const { name, arn, current } = await newSecret();
    const invoked = deferred<RotationRequest>();
    const release = deferred();
    sm.setRotationHandler(async (request) => {
      invoked.resolve(request);
      await release.promise;
    });
    const token = randomUUID();
    const rotated = await admin.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: token }));
    expect(rotated).toMatchObject({ ARN: arn, Name: name, VersionId: token });

    expect(await invoked.promise).toEqual({ secretId: name, arn, token });
    expect((await describeSecret(name)).VersionIdsToStages).toEqual({
      [current]: ['AWSCURRENT'],
      [token]: ['AWSPENDING'],
    });
    expect((await failureOf(admin.send(new RotateSecretCommand({ SecretId: name })))).name).toBe(
      'InvalidRequestException',
    );
    release.resolve();
  });

  it('lets the handler complete a rotation; the next RotateSecret may start', async () => {
    const { name, arn, current } = await newSecret();
    // Settles with the handler's error, if any, so a failed check inside it fails this test.
    const finished = deferred<unknown>();
    sm.setRotationHandler(async (request) => {
      try {
        await rotateLikeTheRotationFunction(request);
        finished.resolve(undefined);
      } catch (error) {
        finished.resolve(error);
      }
    });
    sm.calls.clear();
    const token = randomUUID();
    await admin.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    expect(await finished.promise).toBeUndefined();

    const described = await describeSecret(name);
    expect(described.VersionIdsToStages).toEqual({ [token]: ['AWSCURRENT'], [current]: ['AWSPREVIOUS'] });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect(described.RotationEnabled).toBe(true);
    const next = await admin.send(new RotateSecretCommand({ SecretId: name, RotateImmediately: false }));
    expect(next.VersionId).toBeUndefined();

    const byCaller = sm.calls.byCaller();
    expect(byCaller.AKIDADMIN).toEqual({ RotateSecret: 2, DescribeSecret: 1 });
    expect(byCaller.AKIDROTATOR).toEqual({
      GetSecretValue: 1,
      PutSecretValue: 1,
      DescribeSecret: 1,
      UpdateSecretVersionStage: 2,
    });
    expect(sm.calls.list({ operation: 'InvokeRotationHandler' })).toMatchObject([
      { caller: 'secretsmanager', secretId: arn, outcome: 'ok' },
    ]);
  });

  it('logs a failed handler and leaves AWSPENDING behind, which blocks the next RotateSecret until cancelled and cleaned', async () => {
    const { name } = await newSecret();
    const failing = deferred();
    sm.setRotationHandler(async () => {
      failing.resolve();
      await Promise.resolve();
      throw new RangeError('setSecret failed');
    });
    const token = randomUUID();
    await admin.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: token }));
    await failing.promise;

    expect((await failureOf(admin.send(new RotateSecretCommand({ SecretId: name })))).name).toBe(
      'InvalidRequestException',
    );
    expect(sm.calls.list({ operation: 'InvokeRotationHandler' }).at(-1)).toMatchObject({
      secretId: name,
      outcome: 'error',
      errorType: 'RangeError',
    });

    const cancelled = await admin.send(new CancelRotateSecretCommand({ SecretId: name }));
    expect(cancelled.VersionId).toBe(token);
    expect((await describeSecret(name)).RotationEnabled).toBe(false);
    await admin.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
    sm.setRotationHandler(undefined);
    expect((await admin.send(new RotateSecretCommand({ SecretId: name }))).Name).toBe(name);
    expect((await describeSecret(name)).RotationEnabled).toBe(true);
  });
});
