/**
 * One Secrets Manager conformance suite, run with the real AWS SDK over HTTP against every target in
 * support/targets.ts. Assertions follow the AWS documentation; where a target is known to differ, the
 * test asserts what that target does instead and says so (support/known-deviations.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type GetRandomPasswordCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { failureOf, type FailedCall } from '../../helpers/secrets-manager-clients.js';
import { knownDeviations, type DeviationId } from '../../helpers/secrets-manager-known-deviations.js';
import { conformanceTargets, type RunningTarget } from '../../helpers/secrets-manager-targets.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDCONFORMANCE', secretAccessKey: 'conformance-dummy-key' };
const LOWER = /[a-z]/;
const UPPER = /[A-Z]/;
const DIGIT = /[0-9]/;
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

const token = (): string => randomUUID();
const uniqueName = (label: string): string => `conformance/${label}-${randomUUID().slice(0, 8)}`;
/** Dummy values only: these are test fixtures, not credentials. */
const dummyValue = (n: number | string): string =>
  JSON.stringify({ username: 'app', password: `dummy-${n}` });

async function expectFailure(call: Promise<unknown>, name: string): Promise<FailedCall> {
  const error = await failureOf(call);
  expect(error.name).toBe(name);
  return error;
}

function stagesOf(described: DescribeSecretCommandOutput): Record<string, string[]> {
  return described.VersionIdsToStages ?? {};
}

function tagsOf(described: DescribeSecretCommandOutput): Record<string, string | undefined> {
  return Object.fromEntries(
    (described.Tags ?? []).map((t): [string, string | undefined] => [t.Key ?? '', t.Value]),
  );
}

for (const target of conformanceTargets) {
  const title = `Secrets Manager conformance: ${target.name}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`;

  describe.skipIf(target.skipReason !== undefined)(title, () => {
    let running: RunningTarget | undefined;
    let sm: SecretsManagerClient;
    const deviations = knownDeviations[target.name];
    const exercised = new Set<DeviationId>();

    beforeAll(async () => {
      running = await target.start();
      sm = new SecretsManagerClient({
        endpoint: running.url,
        region: REGION,
        credentials: CREDENTIALS,
        // Errors are the subject here: no retries hiding them.
        maxAttempts: 1,
      });
    });

    afterAll(async () => {
      if (!running) return;
      sm.destroy();
      await running.stop();
    });

    /** Runs the documented check, or for a known deviation of this target the check of what it does. */
    async function documented(
      context: TestContext,
      id: DeviationId,
      checks: { aws: () => void | Promise<void>; deviation: () => void | Promise<void> },
    ): Promise<void> {
      exercised.add(id);
      const deviation = deviations[id];
      if (!deviation) {
        await checks.aws();
        return;
      }
      await context.annotate(
        `known deviation of ${target.name} (${id}): ${deviation.reason} AWS docs: ${deviation.awsDocs}`,
      );
      await checks.deviation();
    }

    /** A call AWS documents to fail with `awsError`; a target with this known deviation fails with `deviationError`. */
    const documentedFailure = (
      context: TestContext,
      id: DeviationId,
      call: () => Promise<unknown>,
      awsError: string,
      deviationError: string,
    ): Promise<void> =>
      documented(context, id, {
        aws: async () => {
          await expectFailure(call(), awsError);
        },
        deviation: async () => {
          await expectFailure(call(), deviationError);
        },
      });

    const describeSecret = (secretId: string) => sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versionIds = async (secretId: string, includeDeprecated?: boolean) =>
      (
        (
          await sm.send(
            new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: includeDeprecated }),
          )
        ).Versions ?? []
      )
        .map((v) => v.VersionId)
        .sort();
    const putValue = (secretId: string, clientRequestToken: string, value: string, stages?: string[]) =>
      sm.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: clientRequestToken,
          SecretString: value,
          ...(stages && { VersionStages: stages }),
        }),
      );
    const valueAt = async (secretId: string, stage: string) =>
      (await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }))).SecretString;
    /** Put a new AWSPENDING version, move AWSCURRENT to it, take AWSPENDING off it. */
    const rotate = async (secretId: string, fromVersion: string, toVersion: string, value: string) => {
      await putValue(secretId, toVersion, value, ['AWSPENDING']);
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: toVersion,
          RemoveFromVersionId: fromVersion,
        }),
      );
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: toVersion,
        }),
      );
    };

    describe('create, get, describe', () => {
      it('creates a secret and reads it back by name, ARN and partial ARN', async () => {
        const name = uniqueName('create');
        const firstToken = token();
        const created = await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: dummyValue(1),
            ClientRequestToken: firstToken,
            Description: 'conformance test secret',
            Tags: [{ Key: 'purpose', Value: 'conformance' }],
          }),
        );
        expect(created.Name).toBe(name);
        expect(created.VersionId).toBe(firstToken);
        const arn = created.ARN ?? '';
        expect(arn).toMatch(
          new RegExp(`^arn:aws:secretsmanager:${REGION}:\\d{12}:secret:${name}-[A-Za-z0-9]{6}$`),
        );

        for (const secretId of [name, arn, arn.slice(0, -7)]) {
          const got = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
          expect(got.ARN).toBe(arn);
          expect(got.Name).toBe(name);
          expect(got.VersionId).toBe(firstToken);
          expect(got.VersionStages).toEqual(['AWSCURRENT']);
          expect(got.SecretString).toBe(dummyValue(1));
          expect(got.CreatedDate).toBeInstanceOf(Date);
        }

        const described = await describeSecret(name);
        expect(described.ARN).toBe(arn);
        expect(described.Name).toBe(name);
        expect(described.Description).toBe('conformance test secret');
        expect(tagsOf(described)).toEqual({ purpose: 'conformance' });
        expect(stagesOf(described)).toEqual({ [firstToken]: ['AWSCURRENT'] });
        expect(described.RotationEnabled ?? false).toBe(false);
        expect(described.CreatedDate).toBeInstanceOf(Date);
        expect(described.LastChangedDate).toBeInstanceOf(Date);
      });

      it('stores and returns a binary secret', async () => {
        const name = uniqueName('binary');
        const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255]);
        await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
        const got = await sm.send(new GetSecretValueCommand({ SecretId: name }));
        expect(got.SecretString).toBeUndefined();
        expect([...(got.SecretBinary ?? [])]).toEqual([...bytes]);
      });

      it('gives the first stored version AWSCURRENT whatever labels were asked for', async () => {
        const name = uniqueName('first-version');
        const created = await sm.send(new CreateSecretCommand({ Name: name }));
        expect(created.VersionId).toBeUndefined();
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name })),
          'ResourceNotFoundException',
        );

        const first = token();
        const put = await putValue(name, first, dummyValue(1), ['AWSPENDING']);
        expect([...(put.VersionStages ?? [])].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
        expect(await valueAt(name, 'AWSCURRENT')).toBe(dummyValue(1));
      });
    });

    describe('version stages', () => {
      it('keeps AWSCURRENT on the old version while AWSPENDING is put, then moves AWSCURRENT and AWSPREVIOUS', async () => {
        const name = uniqueName('stages');
        const v1 = token();
        const v2 = token();
        await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );

        const pending = await putValue(name, v2, dummyValue(2), ['AWSPENDING']);
        expect(pending.VersionId).toBe(v2);
        expect(pending.VersionStages).toEqual(['AWSPENDING']);
        expect(await valueAt(name, 'AWSCURRENT')).toBe(dummyValue(1));
        expect(await valueAt(name, 'AWSPENDING')).toBe(dummyValue(2));
        const byBoth = await sm.send(
          new GetSecretValueCommand({ SecretId: name, VersionId: v2, VersionStage: 'AWSPENDING' }),
        );
        expect(byBoth.VersionId).toBe(v2);
        expect(stagesOf(await describeSecret(name))).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'] });

        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: v2,
            RemoveFromVersionId: v1,
          }),
        );
        const stages = stagesOf(await describeSecret(name));
        expect([...(stages[v2] ?? [])].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
        expect(stages[v1]).toEqual(['AWSPREVIOUS']);
        expect(await valueAt(name, 'AWSCURRENT')).toBe(dummyValue(2));
        expect(await valueAt(name, 'AWSPREVIOUS')).toBe(dummyValue(1));
      });

      it('moves AWSPREVIOUS with AWSCURRENT on every PutSecretValue with default labels', async () => {
        const name = uniqueName('put-default');
        const versions = [token(), token(), token()] as const;
        await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: dummyValue(0),
            ClientRequestToken: versions[0],
          }),
        );
        const second = await putValue(name, versions[1], dummyValue(1));
        expect(second.VersionStages).toEqual(['AWSCURRENT']);
        await putValue(name, versions[2], dummyValue(2));

        const stages = stagesOf(await describeSecret(name));
        expect(stages[versions[2]]).toEqual(['AWSCURRENT']);
        expect(stages[versions[1]]).toEqual(['AWSPREVIOUS']);
        expect(stages[versions[0]] ?? []).toEqual([]);
        expect(await valueAt(name, 'AWSPREVIOUS')).toBe(dummyValue(1));
      });

      it('keeps AWSPREVIOUS on the version before AWSCURRENT across several rotations; unlabelled versions are deprecated', async (context) => {
        const name = uniqueName('rotations');
        const versions = [token()];
        await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: dummyValue(0),
            ClientRequestToken: versions[0],
          }),
        );

        for (let i = 1; i <= 4; i++) {
          const previous = versions[i - 1] as string;
          const next = token();
          versions.push(next);
          await rotate(name, previous, next, dummyValue(i));

          const stages = stagesOf(await describeSecret(name));
          expect(stages[next]).toEqual(['AWSCURRENT']);
          expect(stages[previous]).toEqual(['AWSPREVIOUS']);
          const labels = Object.values(stages).flat();
          expect(labels.filter((l) => l === 'AWSCURRENT')).toHaveLength(1);
          expect(labels.filter((l) => l === 'AWSPREVIOUS')).toHaveLength(1);
          expect(labels).not.toContain('AWSPENDING');
          expect(await valueAt(name, 'AWSCURRENT')).toBe(dummyValue(i));
          expect(await valueAt(name, 'AWSPREVIOUS')).toBe(dummyValue(i - 1));
        }

        const labelled = [versions[3], versions[4]].sort();
        await documented(context, 'describe-hides-deprecated-versions', {
          aws: async () => {
            expect(Object.keys(stagesOf(await describeSecret(name))).sort()).toEqual(labelled);
          },
          deviation: async () => {
            const stages = stagesOf(await describeSecret(name));
            expect(Object.keys(stages).sort()).toEqual([...versions].sort());
            expect(stages[versions[0] as string]).toEqual([]);
          },
        });
        await documented(context, 'list-versions-hides-deprecated', {
          aws: async () => {
            expect(await versionIds(name)).toEqual(labelled);
          },
          deviation: async () => {
            expect(await versionIds(name)).toEqual([...versions].sort());
          },
        });
        await documented(context, 'list-versions-keeps-deprecated-when-asked', {
          aws: async () => {
            expect(await versionIds(name, true)).toEqual([...versions].sort());
          },
          deviation: async () => {
            expect(await versionIds(name, true)).toEqual(labelled);
          },
        });
      });

      it('rolls back: moving AWSCURRENT back to AWSPREVIOUS makes the demoted version AWSPREVIOUS', async () => {
        const name = uniqueName('rollback');
        const v1 = token();
        const v2 = token();
        await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );
        await rotate(name, v1, v2, dummyValue(2));
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: v1,
            RemoveFromVersionId: v2,
          }),
        );
        const stages = stagesOf(await describeSecret(name));
        expect(stages[v1]).toEqual(['AWSCURRENT']);
        expect(stages[v2]).toEqual(['AWSPREVIOUS']);
      });

      it('refuses to move a label attached elsewhere without RemoveFromVersionId, or to remove one from a version without it', async (context) => {
        const name = uniqueName('stage-rules');
        const v1 = token();
        const v2 = token();
        const v3 = token();
        await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );
        await putValue(name, v2, dummyValue(2), ['AWSPENDING']);
        await putValue(name, v3, dummyValue(3), ['CUSTOM']);

        await expectFailure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'AWSCURRENT',
              MoveToVersionId: v2,
            }),
          ),
          'InvalidParameterException',
        );
        await expectFailure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: v1,
            }),
          ),
          'InvalidParameterException',
        );
        await expectFailure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'AWSCURRENT',
              MoveToVersionId: v2,
              RemoveFromVersionId: v3,
            }),
          ),
          'InvalidParameterException',
        );
        await documented(context, 'move-attached-stage-needs-remove-from', {
          aws: async () => {
            await expectFailure(
              sm.send(
                new UpdateSecretVersionStageCommand({
                  SecretId: name,
                  VersionStage: 'AWSPENDING',
                  MoveToVersionId: v3,
                }),
              ),
              'InvalidParameterException',
            );
            expect(stagesOf(await describeSecret(name))).toEqual({
              [v1]: ['AWSCURRENT'],
              [v2]: ['AWSPENDING'],
              [v3]: ['CUSTOM'],
            });
          },
          deviation: async () => {
            await sm.send(
              new UpdateSecretVersionStageCommand({
                SecretId: name,
                VersionStage: 'AWSPENDING',
                MoveToVersionId: v3,
              }),
            );
            const stages = stagesOf(await describeSecret(name));
            expect(stages[v2]).toEqual(['AWSPENDING']);
            expect(stages[v3]).toContain('AWSPENDING');
          },
        });
      });
    });

    describe('ClientRequestToken idempotency', () => {
      it('ignores a repeated PutSecretValue with the same token and value, refuses a different value', async (context) => {
        const name = uniqueName('idempotency');
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(0) }));
        const current = token();
        const first = await putValue(name, current, dummyValue(1));
        const again = await putValue(name, current, dummyValue(1));
        expect(again.VersionId).toBe(first.VersionId);
        await documented(context, 'put-retry-answers-no-stages', {
          aws: () => {
            expect(again.VersionStages).toEqual(['AWSCURRENT']);
          },
          deviation: () => {
            expect(again.VersionStages).toBeUndefined();
          },
        });
        await expectFailure(putValue(name, current, dummyValue('other')), 'ResourceExistsException');
        const stored = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: current }));
        expect(stored.SecretString).toBe(dummyValue(1));

        const pending = token();
        await putValue(name, pending, dummyValue(2), ['AWSPENDING']);
        const pendingAgain = await putValue(name, pending, dummyValue(2), ['AWSPENDING']);
        expect(pendingAgain.VersionId).toBe(pending);
        await documented(context, 'put-same-token-new-value-on-pending-version', {
          aws: async () => {
            await expectFailure(
              putValue(name, pending, dummyValue('other'), ['AWSPENDING']),
              'ResourceExistsException',
            );
            expect(await valueAt(name, 'AWSPENDING')).toBe(dummyValue(2));
          },
          deviation: async () => {
            await putValue(name, pending, dummyValue('other'), ['AWSPENDING']);
            expect(await valueAt(name, 'AWSPENDING')).toBe(dummyValue('other'));
          },
        });
        expect(await versionIds(name, true)).toHaveLength(3);
      });

      it('ignores a retried CreateSecret with the same token and value; other retries fail with ResourceExistsException', async (context) => {
        const name = uniqueName('create-retry');
        const createToken = token();
        const create = () =>
          sm.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: dummyValue(1),
              ClientRequestToken: createToken,
            }),
          );
        const first = await create();
        await documented(context, 'create-retry-not-idempotent', {
          aws: async () => {
            const retried = await create();
            expect(retried.ARN).toBe(first.ARN);
            expect(retried.VersionId).toBe(createToken);
          },
          deviation: async () => {
            await expectFailure(create(), 'ResourceExistsException');
          },
        });
        await expectFailure(
          sm.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: dummyValue(2),
              ClientRequestToken: createToken,
            }),
          ),
          'ResourceExistsException',
        );
        await expectFailure(
          sm.send(
            new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: token() }),
          ),
          'ResourceExistsException',
        );
      });
    });

    describe('errors', () => {
      it('answers ResourceNotFoundException (HTTP 400) for an unknown secret, version or label', async (context) => {
        const missing = uniqueName('missing');
        const error = await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: missing })),
          'ResourceNotFoundException',
        );
        await documented(context, 'error-status-is-400', {
          aws: () => {
            expect(error.$metadata?.httpStatusCode).toBe(400);
          },
          deviation: () => {
            expect(error.$metadata?.httpStatusCode).toBe(404);
          },
        });
        await expectFailure(describeSecret(missing), 'ResourceNotFoundException');

        const name = uniqueName('lookups');
        const v1 = token();
        await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'NO_SUCH_LABEL' })),
          'ResourceNotFoundException',
        );
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: token() })),
          'ResourceNotFoundException',
        );
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' })),
          'ResourceNotFoundException',
        );
      });

      it('answers ResourceNotFoundException when VersionId and VersionStage name different versions', async (context) => {
        const name = uniqueName('mismatch');
        const v1 = token();
        const v2 = token();
        await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );
        await putValue(name, v2, dummyValue(2), ['AWSPENDING']);
        const mismatched = () =>
          sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1, VersionStage: 'AWSPENDING' }));
        await documentedFailure(
          context,
          'get-value-version-and-stage-mismatch',
          mismatched,
          'ResourceNotFoundException',
          'InvalidRequestException',
        );
      });

      it('answers InvalidRequestException for a PutSecretValue without a value', async () => {
        const name = uniqueName('no-value');
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(1) }));
        await expectFailure(
          sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token() })),
          'InvalidRequestException',
        );
      });

      it('refuses RotateSecret with InvalidRequestException while AWSPENDING is on a version that is not AWSCURRENT', async (context) => {
        const name = uniqueName('rotate-pending');
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(1) }));
        await putValue(name, token(), dummyValue(2), ['AWSPENDING']);
        const rotation = () =>
          sm.send(
            new RotateSecretCommand({
              SecretId: name,
              ClientRequestToken: token(),
              RotationLambdaARN: `arn:aws:lambda:${REGION}:000000000000:function:conformance-rotator`,
            }),
          );
        await documentedFailure(
          context,
          'rotate-refused-while-pending',
          rotation,
          'InvalidRequestException',
          'ResourceNotFoundException',
        );
      });

      it('answers InvalidParameterException for a recovery window outside 7..30 days or combined with a forced delete', async () => {
        const name = uniqueName('delete-params');
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(1) }));
        await expectFailure(
          sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 3 })),
          'InvalidParameterException',
        );
        await expectFailure(
          sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 31 })),
          'InvalidParameterException',
        );
        await expectFailure(
          sm.send(
            new DeleteSecretCommand({
              SecretId: name,
              RecoveryWindowInDays: 7,
              ForceDeleteWithoutRecovery: true,
            }),
          ),
          'InvalidParameterException',
        );
        expect(await valueAt(name, 'AWSCURRENT')).toBe(dummyValue(1));
      });
    });

    describe('GetRandomPassword', () => {
      const password = async (input: GetRandomPasswordCommandInput = {}): Promise<string> =>
        (await sm.send(new GetRandomPasswordCommand(input))).RandomPassword ?? '';

      it('defaults to 32 characters with each character type present', async () => {
        for (let i = 0; i < 20; i++) {
          const generated = await password();
          expect(generated).toHaveLength(32);
          for (const type of [LOWER, UPPER, DIGIT, PUNCTUATION]) expect(generated).toMatch(type);
          expect(generated).not.toContain(' ');
        }
      });

      it('honours the length and never uses an excluded character', async () => {
        const excluded = ' :/@"\'\\';
        for (let i = 0; i < 20; i++) {
          const generated = await password({ PasswordLength: 64, ExcludeCharacters: excluded });
          expect(generated).toHaveLength(64);
          for (const character of excluded) expect(generated).not.toContain(character);
          for (const type of [LOWER, UPPER, DIGIT, PUNCTUATION]) expect(generated).toMatch(type);
        }
      });

      it('leaves out excluded character types and still includes each remaining one', async () => {
        for (let i = 0; i < 20; i++) {
          const generated = await password({
            PasswordLength: 16,
            ExcludePunctuation: true,
            ExcludeUppercase: true,
          });
          expect(generated).toMatch(/^[a-z0-9]{16}$/);
          expect(generated).toMatch(LOWER);
          expect(generated).toMatch(DIGIT);
          expect(
            await password({ PasswordLength: 24, ExcludeNumbers: true, ExcludeLowercase: true }),
          ).toMatch(/^[^a-z0-9]{24}$/);
        }
      });

      it('puts one character of each type in a password exactly as long as the number of types, and refuses a shorter one', async () => {
        for (let i = 0; i < 10; i++) {
          const generated = await password({ PasswordLength: 4 });
          for (const type of [LOWER, UPPER, DIGIT, PUNCTUATION]) expect(generated).toMatch(type);
        }
        await expectFailure(password({ PasswordLength: 3 }), 'InvalidParameterException');
      });
    });

    describe('ListSecretVersionIds', () => {
      it('lists each version with its labels under the secret ARN', async (context) => {
        const name = uniqueName('list-versions');
        const v1 = token();
        const v2 = token();
        const created = await sm.send(
          new CreateSecretCommand({ Name: name, SecretString: dummyValue(1), ClientRequestToken: v1 }),
        );
        await putValue(name, v2, dummyValue(2), ['AWSPENDING']);
        const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
        expect(listed.Name).toBe(name);
        const byId = new Map((listed.Versions ?? []).map((v) => [v.VersionId ?? '', v] as const));
        expect([...byId.keys()].sort()).toEqual([v1, v2].sort());
        expect(byId.get(v1)?.VersionStages).toEqual(['AWSCURRENT']);
        expect(byId.get(v2)?.VersionStages).toEqual(['AWSPENDING']);
        expect(byId.get(v2)?.CreatedDate).toBeInstanceOf(Date);
        await documented(context, 'list-versions-arn', {
          aws: () => {
            expect(listed.ARN).toBe(created.ARN);
          },
          deviation: () => {
            expect(listed.ARN).toBe(name);
          },
        });
        const unknown = () => sm.send(new ListSecretVersionIdsCommand({ SecretId: uniqueName('missing') }));
        await documented(context, 'list-versions-unknown-secret', {
          aws: async () => {
            await expectFailure(unknown(), 'ResourceNotFoundException');
          },
          deviation: async () => {
            expect((await failureOf(unknown())).$metadata?.httpStatusCode).toBe(500);
          },
        });
      });
    });

    describe('tags', () => {
      it('adds, overwrites and removes tags, and finds secrets by tag', async () => {
        const name = uniqueName('tags');
        await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: dummyValue(1),
            Tags: [
              { Key: 'team', Value: 'platform' },
              { Key: 'env', Value: 'test' },
            ],
          }),
        );
        await sm.send(
          new TagResourceCommand({
            SecretId: name,
            Tags: [
              { Key: 'env', Value: 'prod' },
              { Key: 'owner', Value: 'db' },
            ],
          }),
        );
        expect(tagsOf(await describeSecret(name))).toEqual({ team: 'platform', env: 'prod', owner: 'db' });

        await sm.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['team'] }));
        expect(tagsOf(await describeSecret(name))).toEqual({ env: 'prod', owner: 'db' });

        const found = await sm.send(
          new ListSecretsCommand({
            Filters: [
              { Key: 'name', Values: [name] },
              { Key: 'tag-key', Values: ['owner'] },
            ],
          }),
        );
        expect((found.SecretList ?? []).map((s) => s.Name)).toEqual([name]);
        const notFound = await sm.send(
          new ListSecretsCommand({
            Filters: [
              { Key: 'name', Values: [name] },
              { Key: 'tag-key', Values: ['team'] },
            ],
          }),
        );
        expect(notFound.SecretList ?? []).toEqual([]);
      });
    });

    describe('delete and restore', () => {
      it('schedules a deletion that blocks reads and writes until restored', async (context) => {
        const name = uniqueName('delete');
        const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(1) }));
        const before = Date.now();
        const deleted = await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
        expect(deleted.ARN).toBe(created.ARN);
        expect(deleted.DeletionDate?.getTime()).toBeGreaterThan(before + 6 * 24 * 3600 * 1000);

        const described = await describeSecret(name);
        expect(described.DeletedDate).toBeInstanceOf(Date);
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name })),
          'InvalidRequestException',
        );
        await documented(context, 'put-value-scheduled-for-deletion', {
          aws: async () => {
            await expectFailure(putValue(name, token(), dummyValue(2)), 'InvalidRequestException');
          },
          deviation: async () => {
            await putValue(name, token(), dummyValue(2));
          },
        });
        const recreate = () => sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(3) }));
        await documentedFailure(
          context,
          'create-name-scheduled-for-deletion',
          recreate,
          'InvalidRequestException',
          'ResourceExistsException',
        );

        const listed = async (includePlannedDeletion: boolean) =>
          (
            (
              await sm.send(
                new ListSecretsCommand({
                  Filters: [{ Key: 'name', Values: [name] }],
                  IncludePlannedDeletion: includePlannedDeletion,
                }),
              )
            ).SecretList ?? []
          ).map((s) => s.Name);
        expect(await listed(false)).toEqual([]);
        expect(await listed(true)).toEqual([name]);

        const restored = await sm.send(new RestoreSecretCommand({ SecretId: name }));
        expect(restored.ARN).toBe(created.ARN);
        expect((await describeSecret(name)).DeletedDate).toBeUndefined();
        expect(await valueAt(name, 'AWSCURRENT')).toBeDefined();
      });

      it('forgets a secret deleted without recovery', async () => {
        const name = uniqueName('force-delete');
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: dummyValue(1) }));
        await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
        await expectFailure(
          sm.send(new GetSecretValueCommand({ SecretId: name })),
          'ResourceNotFoundException',
        );
        await expectFailure(describeSecret(name), 'ResourceNotFoundException');
      });
    });

    it('exercised every known deviation listed for this target', () => {
      expect(Object.keys(deviations).filter((id) => !exercised.has(id as DeviationId))).toEqual([]);
    });
  });
}
