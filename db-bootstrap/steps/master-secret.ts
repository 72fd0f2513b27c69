/** Step 1. The master secret: read it, or create it from the given credentials. */
import { BootstrapError } from '../errors.js';
import { createSecret, parseMasterSecret, readSecret, type MasterSecret } from '../secrets-manager.js';
import type { BootstrapContext } from './context.js';

export async function ensureMasterSecret(
  ctx: BootstrapContext,
): Promise<{ master: MasterSecret; masterSecretArn: string }> {
  const { masterSecretId } = ctx;
  const existing = await readSecret(ctx.sm, masterSecretId, 'master secret');
  if (existing) {
    ctx.log(`master secret ${masterSecretId} exists; using its credentials`);
    return {
      master: parseMasterSecret(existing.secretString, masterSecretId),
      masterSecretArn: existing.arn,
    };
  }
  const given = ctx.options.masterCredentials;
  if (!given) {
    throw new BootstrapError(
      `master secret ${masterSecretId} does not exist and no master credentials were given to create it`,
    );
  }
  const master = { username: given.username, password: given.password };
  const created = await createSecret(ctx.sm, {
    name: masterSecretId,
    description: 'PostgreSQL master credentials',
    kmsKeyId: ctx.options.kmsKeyId,
    value: {
      engine: ctx.engine,
      host: ctx.advertised.host,
      port: ctx.advertised.port,
      dbname: ctx.maintenanceDatabase,
      username: master.username,
      password: master.password,
    },
  });
  if (created.created) ctx.changed(`created master secret ${masterSecretId}`);
  return { master, masterSecretArn: created.arn };
}
