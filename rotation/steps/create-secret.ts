/**
 * createSecret: read AWSCURRENT (it must parse); if the token's AWSPENDING version already has a
 * value, nothing to do. Only when it has none (ResourceNotFoundException): copy AWSCURRENT, give it
 * a new password from GetRandomPassword (alternating users: and the alternate username), and store
 * it under the token with AWSPENDING.
 */
import { alternateUsername } from '../secret-fields.js';
import { isResourceNotFound, putPendingValue, randomPassword } from '../secrets.js';
import { AWSCURRENT, AWSPENDING } from '../version-stages.js';
import { readSecret, type StepContext, type StepOutcome } from './context.js';

export async function createSecret(ctx: StepContext): Promise<StepOutcome> {
  const current = await readSecret(ctx, AWSCURRENT);
  try {
    await readSecret(ctx, AWSPENDING, ctx.token);
    ctx.log.info('createSecret: pending version already has a value');
    return 'pending-exists';
  } catch (err) {
    if (!isResourceNotFound(err)) throw err;
  }

  const next: Record<string, unknown> = { ...current.raw };
  if (ctx.config.strategy === 'alternating-users') next.username = alternateUsername(current.username);
  next.password = await randomPassword(ctx.sm, ctx.config.password);
  await putPendingValue(ctx.sm, {
    secretId: ctx.secretId,
    token: ctx.token,
    secretString: JSON.stringify(next),
    rotationToken: ctx.rotationToken,
  });
  ctx.log.info({ user: next.username }, 'createSecret: put the pending version');
  return 'created';
}
