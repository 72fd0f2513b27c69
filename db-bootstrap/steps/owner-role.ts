/**
 * Step 3. The NOLOGIN owner role, and (for a master that is not a superuser, as on RDS) the right
 * to SET ROLE to it, which the master needs to hand it the schema.
 */
import type pg from 'pg';
import { canSetRole, findRole, ident, ignoreDuplicate, PG16 } from '../postgres.js';
import type { BootstrapContext } from './context.js';

export async function ensureOwnerRole(ctx: BootstrapContext, admin: pg.Client): Promise<void> {
  const { ownerRole } = ctx;
  const owner = await findRole(admin, ownerRole);
  if (!owner) {
    await ignoreDuplicate(admin.query(`CREATE ROLE ${ident(ownerRole)} NOLOGIN`));
    ctx.changed(`created role ${ownerRole} (NOLOGIN)`);
  } else if (owner.rolcanlogin) {
    await admin.query(`ALTER ROLE ${ident(ownerRole)} NOLOGIN`);
    ctx.changed(`made role ${ownerRole} NOLOGIN`);
  }
}

export async function letMasterSetOwnerRole(
  ctx: BootstrapContext,
  admin: pg.Client,
  server: { version: number; masterIsSuperuser: boolean },
  masterUser: string,
): Promise<void> {
  const { ownerRole } = ctx;
  if (server.masterIsSuperuser || (await canSetRole(admin, server.version, masterUser, ownerRole))) return;
  await admin.query(
    `GRANT ${ident(ownerRole)} TO ${ident(masterUser)}${server.version >= PG16 ? ' WITH INHERIT FALSE, SET TRUE' : ''}`,
  );
  ctx.changed(`granted ${ownerRole} to ${masterUser} (to hand it the schema)`);
}
