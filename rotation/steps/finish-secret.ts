/**
 * finishSecret: move AWSCURRENT to the token's version (Secrets Manager moves AWSPREVIOUS to the
 * old one), then take AWSPENDING off it, so no finished version keeps AWSPENDING (the AWS templates
 * leave it there).
 */
import { describeSecret, moveStage, versionWithStage, type SecretMetadata } from '../secrets.js';
import { AWSCURRENT, AWSPENDING } from '../version-stages.js';
import type { StepContext, StepOutcome } from './context.js';

export async function finishSecret(ctx: StepContext): Promise<StepOutcome> {
  const metadata = await describeSecret(ctx.sm, ctx.secretId);
  const current = versionWithStage(metadata, AWSCURRENT);
  if (current === ctx.token) {
    await removePendingLabel(ctx, metadata);
    ctx.log.info('finishSecret: version already AWSCURRENT');
    return 'already-current';
  }
  await moveStage(ctx.sm, {
    secretId: ctx.secretId,
    stage: AWSCURRENT,
    moveTo: ctx.token,
    ...(current !== undefined && { removeFrom: current }),
  });
  await moveStage(ctx.sm, { secretId: ctx.secretId, stage: AWSPENDING, removeFrom: ctx.token });
  ctx.log.info({ previousVersion: current }, 'finishSecret: AWSCURRENT moved');
  return 'finished';
}

/** Completes a finishSecret that moved AWSCURRENT but stopped before taking AWSPENDING off. */
export async function removePendingLabel(ctx: StepContext, metadata: SecretMetadata): Promise<boolean> {
  if (!(metadata.versions[ctx.token] ?? []).includes(AWSPENDING)) return false;
  await moveStage(ctx.sm, { secretId: ctx.secretId, stage: AWSPENDING, removeFrom: ctx.token });
  ctx.log.info('finishSecret: removed AWSPENDING from the finished version');
  return true;
}
