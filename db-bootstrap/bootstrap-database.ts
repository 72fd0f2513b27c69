/**
 * Database bootstrap: everything the application and the rotation function expect to exist
 * before the first deploy. Used by the local stack, docker compose and the CDK custom resource.
 *
 * As the master user:
 * - the database (default `app`) and a NOLOGIN owner role (default `app_owner`) with CONNECT on it;
 * - a schema (default `app`) owned by the owner role; CREATE on schema public revoked from PUBLIC;
 * - the application's LOGIN role (default `app`), member of the owner role WITH INHERIT and SET,
 *   so migrations can `SET ROLE app_owner` and every object belongs to the owner role, whichever
 *   of `app` / `app_clone` created it. search_path is left to the client (`-c search_path=app`),
 *   because a per-role setting would not follow the clone user.
 * Secrets:
 * - the master secret (created from the given credentials when absent; read when present);
 * - the app secret in the full rotation shape
 *   `{engine, host, port, dbname, username, password, masterarn}`, first password from
 *   GetRandomPassword with the rotation templates' rules.
 *
 * Idempotent: existing secrets are read, never replaced; an existing role keeps its password
 * (its password is only set when the role is created), but the app secret must log in, or the
 * bootstrap fails saying so. Passwords reach PostgreSQL only as SCRAM verifiers, never appear in
 * log lines, and never appear in error messages.
 */
import type pg from 'pg';
import { describeConnectError } from './errors.js';
import type { BootstrapOptions, BootstrapResult } from './options.js';
import { isSuperuser, serverVersion } from './postgres.js';
import { ensureAppSecret } from './steps/app-secret.js';
import { createContext, type BootstrapContext } from './steps/context.js';
import { ensureDatabase } from './steps/database.js';
import { grantOwnerRoleToLoginRoles } from './steps/grants.js';
import { ensureLoginRoles } from './steps/login-roles.js';
import { ensureMasterSecret } from './steps/master-secret.js';
import { ensureOwnerRole, letMasterSetOwnerRole } from './steps/owner-role.js';
import { ensureSchema } from './steps/schema.js';
import { verifyAppLogin } from './steps/verify-login.js';

export async function bootstrapDatabase(options: BootstrapOptions): Promise<BootstrapResult> {
  const ctx = createContext(options);
  const { master, masterSecretArn } = await ensureMasterSecret(ctx);

  // As master, in the maintenance database: the app secret, then cluster-wide objects.
  const { appSecret, appSecretArn } = await asMaster(ctx, master, ctx.maintenanceDatabase, async (admin) => {
    const server = { version: await serverVersion(admin), masterIsSuperuser: await isSuperuser(admin) };
    const secret = await ensureAppSecret(ctx, admin, masterSecretArn);
    await ensureOwnerRole(ctx, admin);
    await ensureDatabase(ctx, admin);
    await letMasterSetOwnerRole(ctx, admin, server, master.username);
    await ensureLoginRoles(ctx, admin, secret.appSecret);
    await grantOwnerRoleToLoginRoles(ctx, admin, server.version);
    return secret;
  });

  // Objects inside the app database, as master.
  await asMaster(ctx, master, ctx.database, (admin) => ensureSchema(ctx, admin));

  await verifyAppLogin(ctx, appSecret);

  const { database, schema, ownerRole, appUser, changes } = ctx;
  return { masterSecretArn, appSecretArn, database, schema, ownerRole, appUser, changes };
}

/** Runs `work` on a master connection to `database`, closing it whatever happens. */
async function asMaster<T>(
  ctx: BootstrapContext,
  master: { username: string; password: string },
  database: string,
  work: (admin: pg.Client) => Promise<T>,
): Promise<T> {
  const admin = await ctx.connect(master.username, master.password, database).catch((err: unknown) => {
    throw describeConnectError(err, `master user "${master.username}"`, database);
  });
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
