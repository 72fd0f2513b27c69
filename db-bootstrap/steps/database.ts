/** Step 3 (continued). The application database, and CONNECT on it for the owner role. */
import type pg from 'pg';
import { exists, ident, ignoreDuplicate } from '../postgres.js';
import type { BootstrapContext } from './context.js';

export async function ensureDatabase(ctx: BootstrapContext, admin: pg.Client): Promise<void> {
  const { database, ownerRole } = ctx;
  if (!(await exists(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]))) {
    await ignoreDuplicate(admin.query(`CREATE DATABASE ${ident(database)}`));
    ctx.changed(`created database ${database}`);
  }
  const hasConnect = await exists(
    admin,
    `SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
      WHERE d.datname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
        AND a.privilege_type = 'CONNECT'`,
    [database, ownerRole],
  );
  if (!hasConnect) {
    await admin.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(ownerRole)}`);
    ctx.changed(`granted CONNECT on database ${database} to ${ownerRole}`);
  }
}
