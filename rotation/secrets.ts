/**
 * The Secrets Manager calls the rotation function makes, typed for what it needs from them.
 * Every read names its stage explicitly (some Secrets Manager implementations answer a read
 * without one from an internal "default version" instead of AWSCURRENT).
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { PasswordRules } from './config.js';
import { awsErrorName, RotationError } from './errors.js';

import { AWSPENDING } from './version-stages.js';

export interface SecretMetadata {
  arn: string | undefined;
  /** Absent until rotation was configured; present and false when it was turned off. */
  rotationEnabled: boolean | undefined;
  versions: Record<string, string[]>;
  tags: { key: string; value: string }[];
}

export async function describeSecret(sm: SecretsManagerClient, secretId: string): Promise<SecretMetadata> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return {
    arn: out.ARN,
    rotationEnabled: out.RotationEnabled,
    versions: out.VersionIdsToStages ?? {},
    tags: (out.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
  };
}

/** The version holding `stage`, if any. */
export function versionWithStage(metadata: SecretMetadata, stage: string): string | undefined {
  return Object.entries(metadata.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

export interface SecretValue {
  versionId: string | undefined;
  secretString: string | undefined;
}

/** GetSecretValue by stage, optionally pinned to a version (the rotation token). */
export async function getSecretValue(
  sm: SecretsManagerClient,
  secretId: string,
  stage: string,
  versionId?: string,
): Promise<SecretValue> {
  const out = await sm.send(
    new GetSecretValueCommand({
      SecretId: secretId,
      VersionStage: stage,
      ...(versionId !== undefined && { VersionId: versionId }),
    }),
  );
  return { versionId: out.VersionId, secretString: out.SecretString };
}

export function isResourceNotFound(err: unknown): boolean {
  return awsErrorName(err) === 'ResourceNotFoundException';
}

export async function putPendingValue(
  sm: SecretsManagerClient,
  input: { secretId: string; token: string; secretString: string; rotationToken?: string | undefined },
): Promise<void> {
  await sm.send(
    new PutSecretValueCommand({
      SecretId: input.secretId,
      ClientRequestToken: input.token,
      SecretString: input.secretString,
      VersionStages: [AWSPENDING],
      ...(input.rotationToken !== undefined && { RotationToken: input.rotationToken }),
    }),
  );
}

export async function randomPassword(sm: SecretsManagerClient, rules: PasswordRules): Promise<string> {
  const out = await sm.send(
    new GetRandomPasswordCommand({
      PasswordLength: rules.length,
      ...(rules.excludeCharacters !== '' && { ExcludeCharacters: rules.excludeCharacters }),
      ExcludeNumbers: rules.excludeNumbers,
      ExcludePunctuation: rules.excludePunctuation,
      ExcludeUppercase: rules.excludeUppercase,
      ExcludeLowercase: rules.excludeLowercase,
      RequireEachIncludedType: rules.requireEachIncludedType,
    }),
  );
  if (!out.RandomPassword) throw new RotationError('GetRandomPassword returned no password');
  return out.RandomPassword;
}

export async function moveStage(
  sm: SecretsManagerClient,
  input: { secretId: string; stage: string; moveTo?: string; removeFrom?: string },
): Promise<void> {
  await sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: input.secretId,
      VersionStage: input.stage,
      ...(input.moveTo !== undefined && { MoveToVersionId: input.moveTo }),
      ...(input.removeFrom !== undefined && { RemoveFromVersionId: input.removeFrom }),
    }),
  );
}
