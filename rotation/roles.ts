/**
 * The SQL of a rotation. Passwords reach PostgreSQL only as SCRAM-SHA-256 verifiers
 * (`ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'` stores the verifier as it is), so no cleartext
 * password appears in a statement, a server log line (`log_statement=ddl|all`) or an error report.
 */
import pg from 'pg';
import { RotationError } from './errors.js';
import { computeScramVerifier } from './scram-verifier.js';

/** server_version_num of PostgreSQL 16, which split role membership into INHERIT and SET options. */
export const PG16 = 160000;

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value);

export async function serverVersion(client: pg.Client): Promise<number> {
  const result = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(result.rows[0]?.v ?? 0);
}

/** Single user: the user changes its own password (no privilege needed for that). */
export async function setOwnPassword(client: pg.Client, username: string, password: string): Promise<void> {
  await client.query(
    `ALTER ROLE ${ident(username)} WITH PASSWORD ${literal(computeScramVerifier(password))}`,
  );
}

/** Alternating users, as the master user: create the login role, or only give it the new password. */
export async function upsertLoginRole(
  client: pg.Client,
  username: string,
  password: string,
): Promise<'created' | 'updated'> {
  const verifier = literal(computeScramVerifier(password));
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
  if ((exists.rowCount ?? 0) === 0) {
    await client.query(`CREATE ROLE ${ident(username)} WITH LOGIN PASSWORD ${verifier}`);
    return 'created';
  }
  // LOGIN too: a role someone disabled would otherwise pass setSecret and fail testSecret.
  await client.query(`ALTER ROLE ${ident(username)} WITH LOGIN PASSWORD ${verifier}`);
  return 'updated';
}

interface Membership {
  role: string;
  inherit: boolean;
  set: boolean;
}

async function membershipsOf(
  client: pg.Client,
  member: string,
  version: number,
): Promise<Map<string, Membership>> {
  // Before PostgreSQL 16, inheritance is a property of the member role and any member may SET ROLE.
  const options =
    version >= PG16
      ? 'bool_or(m.inherit_option) AS inherit, bool_or(m.set_option) AS set'
      : 'true AS inherit, true AS set';
  const result = await client.query<Membership>(
    `SELECT r.rolname AS role, ${options}
       FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)
      GROUP BY r.rolname ORDER BY r.rolname`,
    [member],
  );
  return new Map(result.rows.map((row) => [row.role, row]));
}

async function hasDirectConnect(client: pg.Client, role: string): Promise<boolean> {
  const result = await client.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
        WHERE d.datname = current_database() AND a.privilege_type = 'CONNECT'
          AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)) AS ok`,
    [role],
  );
  return result.rows[0]?.ok === true;
}

async function roleInherits(client: pg.Client, role: string): Promise<boolean> {
  const result = await client.query<{ inherit: boolean }>(
    'SELECT rolinherit AS inherit FROM pg_roles WHERE rolname = $1',
    [role],
  );
  return result.rows[0]?.inherit === true;
}

/**
 * Makes `target` (the user about to become current) hold at least the role memberships and the
 * database CONNECT privilege of `template` (the current user), with the same INHERIT/SET options,
 * plus membership of `ownerRole` (INHERIT, SET) when one is configured. Run on every rotation, so a
 * grant added to one user after the clone was created reaches the other one too. Only adds: a
 * membership only the target has is left alone. Returns what it changed (role names only).
 */
export async function syncMemberships(
  client: pg.Client,
  input: { template: string; target: string; ownerRole?: string | undefined },
): Promise<string[]> {
  const { template, target, ownerRole } = input;
  const version = await serverVersion(client);
  const wanted = await membershipsOf(client, template, version);
  if (ownerRole !== undefined) {
    const owner = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ownerRole]);
    if ((owner.rowCount ?? 0) === 0) {
      throw new RotationError(`owner role "${ownerRole}" (DB_OWNER_ROLE) does not exist`);
    }
    wanted.set(ownerRole, { role: ownerRole, inherit: true, set: true });
  }
  const held = await membershipsOf(client, target, version);
  const changes: string[] = [];

  for (const { role, inherit, set } of wanted.values()) {
    if (role === target) continue;
    // Granting a role that is itself a member of the target would make a cycle, which PostgreSQL refuses.
    const circular = await client.query<{ ok: boolean }>("SELECT pg_has_role($1, $2, 'MEMBER') AS ok", [
      role,
      target,
    ]);
    if (circular.rows[0]?.ok === true) continue;
    const current = held.get(role);
    if (version >= PG16) {
      const needInherit = inherit && !(current?.inherit ?? false);
      const needSet = set && !(current?.set ?? false);
      if (current && !needInherit && !needSet) continue;
      const withInherit = inherit || (current?.inherit ?? false);
      const withSet = set || (current?.set ?? false);
      await client.query(
        `GRANT ${ident(role)} TO ${ident(target)} WITH INHERIT ${withInherit ? 'TRUE' : 'FALSE'}, SET ${withSet ? 'TRUE' : 'FALSE'}`,
      );
      changes.push(`granted ${role} to ${target} (INHERIT ${withInherit}, SET ${withSet})`);
    } else if (!current) {
      await client.query(`GRANT ${ident(role)} TO ${ident(target)}`);
      changes.push(`granted ${role} to ${target}`);
    }
  }

  if ((await roleInherits(client, template)) && !(await roleInherits(client, target))) {
    await client.query(`ALTER ROLE ${ident(target)} INHERIT`);
    changes.push(`made ${target} INHERIT`);
  }
  if ((await hasDirectConnect(client, template)) && !(await hasDirectConnect(client, target))) {
    const db = await client.query<{ name: string }>('SELECT current_database() AS name');
    const name = db.rows[0]?.name ?? '';
    await client.query(`GRANT CONNECT ON DATABASE ${ident(name)} TO ${ident(target)}`);
    changes.push(`granted CONNECT on database ${name} to ${target}`);
  }
  return changes;
}
