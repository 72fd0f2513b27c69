/** testSecret: AWSPENDING (by token) logs in and runs a trivial query in a transaction. */
import { inTransaction, using } from '../db-connection.js';
import { RotationError } from '../errors.js';
import { AWSPENDING } from '../version-stages.js';
import { readSecret, type StepContext, type StepOutcome } from './context.js';

export async function testSecret(ctx: StepContext): Promise<StepOutcome> {
  const pending = await readSecret(ctx, AWSPENDING, ctx.token);
  const result = await ctx.connect(pending);
  if (!result.ok) {
    const { kind, code, message } = result.failure;
    ctx.log.error(
      { user: pending.username, kind, code, reason: message },
      'testSecret: pending secret does not log in',
    );
    throw new RotationError(`Unable to log into database with pending secret of secret ARN ${ctx.secretId}`, {
      code,
    });
  }
  await using(result.client, (client) => inTransaction(client, () => client.query('SELECT now()')));
  ctx.log.info({ user: pending.username }, 'testSecret: pending secret logs in');
  return 'tested';
}
