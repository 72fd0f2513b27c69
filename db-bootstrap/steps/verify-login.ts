/** Step 6. The app secret must log in, whether its role was created now or long ago. */
import { sqlState } from '../../rotation/public.js';
import { BootstrapError, describeConnectError } from '../errors.js';
import type { AppSecret } from '../secrets-manager.js';
import type { BootstrapContext } from './context.js';

export async function verifyAppLogin(ctx: BootstrapContext, appSecret: AppSecret): Promise<void> {
  const { appSecretName, database } = ctx;
  try {
    const client = await ctx.connect(appSecret.username, appSecret.password, database);
    await client.query('SELECT 1');
    await client.end();
  } catch (err) {
    const code = sqlState(err);
    if (code === '28P01' || code === '28000') {
      throw new BootstrapError(
        `the password in app secret ${appSecretName} does not log in as role "${appSecret.username}" ` +
          `(SQLSTATE ${code}). The role existed before and bootstrap does not change existing passwords: ` +
          'run a rotation (it logs in with AWSPREVIOUS or resets through the master user) or fix the role by hand.',
        { code },
      );
    }
    throw describeConnectError(err, `app user "${appSecret.username}"`, database);
  }
  ctx.log(`app secret ${appSecretName} logs in as ${appSecret.username}`);
}
