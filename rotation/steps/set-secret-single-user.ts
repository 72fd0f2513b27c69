/**
 * setSecret, single user: the user changes its own password.
 * 1. AWSPENDING already logs in → done.
 * 2. AWSPENDING must be for the same user and host as AWSCURRENT.
 * 3. Log in with AWSCURRENT, else AWSPREVIOUS (same user and host as AWSPENDING); neither → error.
 * 4. ALTER ROLE ... WITH PASSWORD '<SCRAM verifier>' as that user: the cleartext password never
 *    reaches the server.
 */
import { RotationError, SecretFieldError } from '../errors.js';
import { setOwnPassword } from '../roles.js';
import type { DbSecret } from '../secret-fields.js';
import { isResourceNotFound } from '../secrets.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../version-stages.js';
import { using } from '../db-connection.js';
import {
  loginIfAccepted,
  pendingAlreadyWorks,
  readSecret,
  type StepContext,
  type StepOutcome,
} from './context.js';

export async function setSecretSingleUser(ctx: StepContext): Promise<StepOutcome> {
  let previous: DbSecret | undefined;
  try {
    previous = await readSecret(ctx, AWSPREVIOUS);
  } catch (err) {
    if (!isResourceNotFound(err) && !(err instanceof SecretFieldError)) throw err;
  }
  const current = await readSecret(ctx, AWSCURRENT);
  const pending = await readSecret(ctx, AWSPENDING, ctx.token);

  if (await pendingAlreadyWorks(ctx, pending)) return 'pending-works';

  if (current.username !== pending.username) {
    throw new RotationError(
      `Attempting to modify user ${pending.username} other than current user ${current.username}`,
    );
  }
  if (current.host !== pending.host) {
    throw new RotationError(
      `Attempting to modify user for host ${pending.host} other than current host ${current.host}`,
    );
  }

  let via: 'current' | 'previous' = 'current';
  let client = await loginIfAccepted(ctx, current, 'current');
  if (!client && previous) {
    if (previous.username !== pending.username) {
      throw new RotationError(
        `Attempting to modify user ${pending.username} other than previous valid user ${previous.username}`,
      );
    }
    if (previous.host !== pending.host) {
      throw new RotationError(
        `Attempting to modify user for host ${pending.host} other than previous valid host ${previous.host}`,
      );
    }
    via = 'previous';
    client = await loginIfAccepted(ctx, previous, 'previous');
  }
  if (!client) {
    throw new RotationError(
      `Unable to log into database with previous, current, or pending secret of secret arn ${ctx.secretId}`,
    );
  }

  await using(client, (c) => setOwnPassword(c, pending.username, pending.password));
  ctx.log.info({ user: pending.username, loggedInWith: via }, 'setSecret: password set');
  return via === 'current' ? 'password-set-as-current' : 'password-set-as-previous';
}
