/**
 * Step 4 (continued). `app` and `app_clone` (those that exist) become members of the owner role
 * WITH INHERIT and SET, so migrations can `SET ROLE app_owner` whichever of them runs them.
 */
import type pg from 'pg';
import { findRole, hasUsableMembership, ident, PG16 } from '../postgres.js';
import type { BootstrapContext } from './context.js';

export async function grantOwnerRoleToLoginRoles(
  ctx: BootstrapContext,
  admin: pg.Client,
  version: number,
): Promise<void> {
  const { ownerRole } = ctx;
  for (const member of [ctx.appUser, ctx.cloneUser]) {
    const role = await findRole(admin, member);
    if (!role) continue;
    if (!(await hasUsableMembership(admin, version, ownerRole, role))) {
      await admin.query(
        `GRANT ${ident(ownerRole)} TO ${ident(member)}${version >= PG16 ? ' WITH INHERIT TRUE, SET TRUE' : ''}`,
      );
      ctx.changed(`granted ${ownerRole} to ${member} (INHERIT, SET)`);
    }
  }
}
