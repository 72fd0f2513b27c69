/** What every step gets, and the reads and logins they share. */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import type { RotationConfig } from '../config.js';
import { describeLogin, type DbLogin, type LoginResult } from '../db-connection.js';
import { RotationError } from '../errors.js';
import type { RotationLogger } from '../logger.js';
import type { RdsApi } from '../master-secret.js';
import { parseDbSecret, type DbSecret } from '../secret-fields.js';
import { getSecretValue } from '../secrets.js';

export interface StepContext {
  sm: SecretsManagerClient;
  /** The event's SecretId (the secret's ARN when Secrets Manager invokes the function). */
  secretId: string;
  /** The event's ClientRequestToken: the id of the version being rotated in. */
  token: string;
  /** The event's RotationToken, passed on to PutSecretValue (sensitive: never logged). */
  rotationToken: string | undefined;
  config: RotationConfig;
  log: RotationLogger;
  rds: () => RdsApi;
  connect: (target: DbLogin) => Promise<LoginResult>;
}

/** What a step did, for the log line and the caller (the Lambda result is ignored by Secrets Manager). */
export type StepOutcome =
  | 'already-current'
  | 'pending-exists'
  | 'created'
  | 'pending-works'
  | 'password-set-as-current'
  | 'password-set-as-previous'
  | 'clone-created'
  | 'password-updated'
  | 'tested'
  | 'finished';

/** A stage of the rotated secret (pinned to the token for AWSPENDING), parsed and validated. */
export async function readSecret(ctx: StepContext, stage: string, versionId?: string): Promise<DbSecret> {
  const value = await getSecretValue(ctx.sm, ctx.secretId, stage, versionId);
  return parseDbSecret(value.secretString, `secret ${ctx.secretId} ${stage}`, {
    requireEngine: ctx.config.strategy === 'alternating-users',
  });
}

/**
 * A connected client when `secret` logs in, undefined when the password (or user) is rejected.
 * Anything else (unreachable, TLS, missing database) is an error: whether the password works is
 * then unknown, and going on would only hide the real problem.
 */
export async function loginIfAccepted(
  ctx: StepContext,
  secret: DbLogin,
  which: string,
): Promise<pg.Client | undefined> {
  const result = await ctx.connect(secret);
  if (result.ok) {
    ctx.log.debug({ as: which, user: secret.username }, 'login accepted');
    return result.client;
  }
  const { kind, code, message } = result.failure;
  if (kind === 'auth') {
    ctx.log.info({ as: which, user: secret.username, code }, 'login rejected');
    return undefined;
  }
  ctx.log.error({ as: which, user: secret.username, kind, code, reason: message }, 'cannot log in');
  throw new RotationError(
    `Cannot connect to the database as ${describeLogin(secret)} (${which}): ${kind}: ${message}`,
    {
      code,
    },
  );
}

/**
 * setSecret's first question, for both strategies: does the pending password already log in (a
 * retried or resumed rotation)? Then there is nothing to set.
 */
export async function pendingAlreadyWorks(ctx: StepContext, pending: DbLogin): Promise<boolean> {
  const already = await loginIfAccepted(ctx, pending, 'pending');
  if (!already) return false;
  await already.end().catch(() => undefined);
  ctx.log.info({ user: pending.username }, 'setSecret: pending password already set in the database');
  return true;
}
