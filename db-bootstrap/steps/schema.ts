/**
 * Step 5. Inside the app database, as master: the schema, owned by the owner role, and CREATE on
 * schema public revoked from PUBLIC.
 */
import type pg from 'pg';
import { exists, ident, ignoreDuplicate } from '../postgres.js';
import type { BootstrapContext } from './context.js';

export async function ensureSchema(ctx: BootstrapContext, admin: pg.Client): Promise<void> {
  const { schema, ownerRole, database } = ctx;
  const owner = await admin.query<{ owner: string }>(
    'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1',
    [schema],
  );
  const currentOwner = owner.rows[0]?.owner;
  if (currentOwner === undefined) {
    await ignoreDuplicate(admin.query(`CREATE SCHEMA ${ident(schema)} AUTHORIZATION ${ident(ownerRole)}`));
    ctx.changed(`created schema ${schema} owned by ${ownerRole}`);
  } else if (currentOwner !== ownerRole) {
    await admin.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(ownerRole)}`);
    ctx.changed(`schema ${schema}: owner ${currentOwner} -> ${ownerRole}`);
  }
  const publicCanCreate = await exists(
    admin,
    `SELECT 1 FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
      WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'`,
    [],
  );
  if (publicCanCreate) {
    await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    ctx.changed(`revoked CREATE on schema public from PUBLIC in database ${database}`);
  }
}
