/**
 * Step 4. The login roles. The secret's current user gets the secret's password, only when created
 * here (as a SCRAM verifier: the password itself never reaches PostgreSQL).
 */
import type pg from 'pg';
import { computeScramVerifier } from '../../rotation/public.js';
import { findRole, ident, ignoreDuplicate, literal } from '../postgres.js';
import type { AppSecret } from '../secrets-manager.js';
import type { BootstrapContext } from './context.js';

export async function ensureLoginRoles(
  ctx: BootstrapContext,
  admin: pg.Client,
  appSecret: AppSecret,
): Promise<void> {
  const { appUser, appSecretName } = ctx;
  if (!(await findRole(admin, appSecret.username))) {
    const verifier = computeScramVerifier(appSecret.password);
    await ignoreDuplicate(
      admin.query(`CREATE ROLE ${ident(appSecret.username)} LOGIN PASSWORD ${literal(verifier)}`),
    );
    ctx.changed(`created role ${appSecret.username} (LOGIN, password from ${appSecretName})`);
  }
  if (appSecret.username !== appUser && !(await findRole(admin, appUser))) {
    // Alternating users with the secret on the clone: the original gets its password from the next rotation.
    await ignoreDuplicate(admin.query(`CREATE ROLE ${ident(appUser)} LOGIN`));
    ctx.changed(`created role ${appUser} (LOGIN, no password until the next rotation)`);
  }
}
