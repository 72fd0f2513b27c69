/**
 * Step 2. The app secret, before anything else: its absence next to an existing role stops the run
 * before any change, and a run interrupted between creating the secret and the role is completed by
 * the next one. An existing secret is kept; a new one gets its first password from GetRandomPassword.
 */
import type pg from 'pg';
import { BootstrapError } from '../errors.js';
import { findRole } from '../postgres.js';
import {
  createSecret,
  parseAppSecret,
  randomPassword,
  readSecret,
  type AppSecret,
} from '../secrets-manager.js';
import type { BootstrapContext } from './context.js';

export async function ensureAppSecret(
  ctx: BootstrapContext,
  admin: pg.Client,
  masterSecretArn: string,
): Promise<{ appSecret: AppSecret; appSecretArn: string }> {
  const { appSecretName, appUser, cloneUser } = ctx;
  const existing = await readSecret(ctx.sm, appSecretName, 'app secret');
  if (existing) {
    const appSecret = parseAppSecret(existing.secretString, appSecretName, [appUser, cloneUser]);
    ctx.log(`app secret ${appSecretName} exists (user ${appSecret.username}); keeping it`);
    if (appSecret.masterarn !== undefined && appSecret.masterarn !== masterSecretArn) {
      ctx.log(
        `warning: app secret ${appSecretName} has masterarn ${appSecret.masterarn}, not ${masterSecretArn}`,
      );
    }
    return { appSecret, appSecretArn: existing.arn };
  }

  if (await findRole(admin, appUser)) {
    throw new BootstrapError(
      `role "${appUser}" exists but the app secret ${appSecretName} does not; bootstrap sets a role's ` +
        "password only when it creates the role. Create the secret with the role's current password, or drop the role.",
    );
  }
  const password = await randomPassword(ctx.sm, ctx.options.password);
  const created = await createSecret(ctx.sm, {
    name: appSecretName,
    description: `Credentials of the application database user (rotated); master: ${masterSecretArn}`,
    kmsKeyId: ctx.options.kmsKeyId,
    value: {
      engine: ctx.engine,
      host: ctx.advertised.host,
      port: ctx.advertised.port,
      dbname: ctx.database,
      username: appUser,
      password,
      masterarn: masterSecretArn,
    },
  });
  if (created.created) {
    ctx.changed(`created app secret ${appSecretName}`);
    return {
      appSecret: { username: appUser, password, masterarn: masterSecretArn },
      appSecretArn: created.arn,
    };
  }
  // Someone else created it meanwhile: theirs wins.
  const raced = await readSecret(ctx.sm, appSecretName, 'app secret');
  if (!raced) throw new BootstrapError(`app secret ${appSecretName} vanished while bootstrapping`);
  return {
    appSecret: parseAppSecret(raced.secretString, appSecretName, [appUser, cloneUser]),
    appSecretArn: created.arn,
  };
}
