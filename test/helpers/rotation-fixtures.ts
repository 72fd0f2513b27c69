/** Secrets, roles and PostgreSQL helpers shared by the rotation tests. Nothing here prints a secret. */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { bootstrapDatabase } from '../../db-bootstrap/index.js';
import type { RunningPostgres } from './postgres.js';

export interface Fixture {
  secretArn: string;
  secretName: string;
  masterSecretArn: string;
  appUser: string;
  cloneUser: string;
  ownerRole: string;
  schema: string;
  database: string;
}

/** A fresh app user (own owner role and schema) with its secret, through the real bootstrap. */
export async function createFixture(input: {
  sm: SecretsManagerClient;
  postgres: RunningPostgres;
  /** Unique per fixture: lower-case letters, digits, _. */
  tag: string;
  database: string;
  masterSecretId: string;
  appUser?: string;
}): Promise<Fixture> {
  const { postgres, tag } = input;
  const appUser = input.appUser ?? `u_${tag}`;
  const result = await bootstrapDatabase({
    secretsManager: input.sm,
    connection: {
      host: postgres.host,
      port: postgres.port,
      maintenanceDatabase: postgres.database,
      ssl: false,
    },
    masterCredentials: { username: postgres.superuser, password: postgres.superuserPassword },
    masterSecretId: input.masterSecretId,
    appSecretName: `test/rotation/${tag}`,
    database: input.database,
    schema: `s_${tag}`,
    ownerRole: `o_${tag}`,
    appUser,
  });
  return {
    secretArn: result.appSecretArn,
    secretName: `test/rotation/${tag}`,
    masterSecretArn: result.masterSecretArn,
    appUser,
    cloneUser: `${appUser}_clone`,
    ownerRole: result.ownerRole,
    schema: result.schema,
    database: result.database,
  };
}

export async function stagesOf(
  sm: SecretsManagerClient,
  secretId: string,
): Promise<Record<string, string[]>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  const sorted: Record<string, string[]> = {};
  for (const [version, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
    if (stages.length > 0) sorted[version] = [...stages].sort();
  }
  return sorted;
}

export function versionWith(stages: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(stages).find(([, s]) => s.includes(stage))?.[0];
}

export interface DbSecretValue {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
  [key: string]: unknown;
}

export async function secretValue(
  sm: SecretsManagerClient,
  secretId: string,
  stage: string,
  versionId?: string,
): Promise<DbSecretValue> {
  const out = await sm.send(
    new GetSecretValueCommand({
      SecretId: secretId,
      VersionStage: stage,
      ...(versionId !== undefined && { VersionId: versionId }),
    }),
  );
  return JSON.parse(out.SecretString ?? '{}') as DbSecretValue;
}

/** Every password held by any version of any secret on the target (to scan logs for). */
export async function everyPassword(sm: SecretsManagerClient): Promise<Set<string>> {
  const passwords = new Set<string>();
  const secrets = await sm.send(new ListSecretsCommand({ MaxResults: 100 }));
  for (const secret of secrets.SecretList ?? []) {
    const id = secret.ARN ?? secret.Name ?? '';
    const versions = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: id, IncludeDeprecated: true, MaxResults: 100 }),
    );
    for (const version of versions.Versions ?? []) {
      try {
        const out = await sm.send(new GetSecretValueCommand({ SecretId: id, VersionId: version.VersionId }));
        const value = JSON.parse(out.SecretString ?? '{}') as { password?: unknown };
        if (typeof value.password === 'string') passwords.add(value.password);
      } catch {
        // A reserved version that never got a value.
      }
    }
  }
  return passwords;
}

/** Whether user/password log in (false on a rejected password; other failures throw). */
export async function logsIn(
  postgres: Pick<RunningPostgres, 'host' | 'port'>,
  user: string,
  password: string,
  database: string,
): Promise<boolean> {
  const client = new pg.Client({ host: postgres.host, port: postgres.port, user, password, database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (err) {
    await client.end().catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw err;
  }
}

/** Runs `fn` as the superuser in `database`. */
export async function asSuperuser<T>(
  postgres: RunningPostgres,
  database: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.superuser,
    password: postgres.superuserPassword,
    database,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Direct memberships of `member`: role → "INHERIT,SET" flags as PostgreSQL 16+ records them. */
export async function membershipsOf(client: pg.Client, member: string): Promise<Record<string, string>> {
  const result = await client.query<{ role: string; inherit: boolean; set: boolean }>(
    `SELECT r.rolname AS role, bool_or(m.inherit_option) AS inherit, bool_or(m.set_option) AS set
       FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)
      GROUP BY r.rolname`,
    [member],
  );
  return Object.fromEntries(
    result.rows.map((row) => [
      row.role,
      `${row.inherit ? 'INHERIT' : 'NOINHERIT'},${row.set ? 'SET' : 'NOSET'}`,
    ]),
  );
}
