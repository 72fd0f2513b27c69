import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import {
  bootstrapDatabase,
  BootstrapError,
  DEFAULT_EXCLUDE_CHARACTERS,
  type BootstrapOptions,
  type BootstrapResult,
} from '../../db-bootstrap/index.js';
import { computeScramVerifier } from '../../rotation/scram-verifier.js';
import { startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';

/** Fails naming the leak by label only, so a failing run never prints the secret itself. */
function expectNoSecrets(text: string, secrets: Record<string, string>): void {
  for (const [label, value] of Object.entries(secrets)) {
    expect(text.includes(value), `${label} appears in the text`).toBe(false);
  }
}

/** Everything an error carries: message, stack, own properties, the cause chain. */
function errorText(err: unknown): string {
  return inspect(err, { depth: 10 });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('bootstrapDatabase', () => {
  let server: RunningPostgres;
  let endpoint: SecretsManagerEndpoint;
  let sm: SecretsManagerClient;
  let admin: pg.Client;
  const logLines: string[] = [];

  const options = (overrides: Partial<BootstrapOptions> = {}): BootstrapOptions => ({
    secretsManager: sm,
    connection: { host: server.host, port: server.port, ssl: false },
    masterCredentials: { username: server.superuser, password: server.superuserPassword },
    masterSecretId: 'test/rds/master',
    appSecretName: 'test/app/db',
    log: (line) => logLines.push(line),
    ...overrides,
  });

  const getSecret = async (id: string): Promise<{ value: Record<string, unknown>; versionId: string }> => {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: id }));
    return {
      value: JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>,
      versionId: out.VersionId ?? '',
    };
  };

  const connect = async (user: string, password: string, database: string): Promise<pg.Client> => {
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user,
      password,
      database,
      options: '-c search_path=app',
    });
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    [server, endpoint] = await Promise.all([
      startTestPostgres({ logStatements: true }),
      startSecretsManagerEndpoint(),
    ]);
    sm = new SecretsManagerClient({
      endpoint: endpoint.url,
      region: endpoint.region,
      credentials: { accessKeyId: 'AKIDBOOTSTRAPTEST', secretAccessKey: 'local-test-dummy-key' },
    });
    admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.superuser,
      password: server.superuserPassword,
      database: server.database,
    });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.end();
    sm.destroy();
    await endpoint.close();
    await server.stop();
  });

  describe('first run, second run', () => {
    let first: BootstrapResult;
    let appPassword: string;

    beforeAll(async () => {
      first = await bootstrapDatabase(options());
      appPassword = String((await getSecret('test/app/db')).value.password);
    });

    it('reports what it created', () => {
      expect(first).toMatchObject({ database: 'app', schema: 'app', ownerRole: 'app_owner', appUser: 'app' });
      expect(first.masterSecretArn).toMatch(/^arn:aws:secretsmanager:.*:secret:test\/rds\/master-/);
      expect(first.appSecretArn).toMatch(/^arn:aws:secretsmanager:.*:secret:test\/app\/db-/);
      expect(first.changes).toEqual(
        expect.arrayContaining([
          'created master secret test/rds/master',
          'created role app_owner (NOLOGIN)',
          'created database app',
          'created app secret test/app/db',
          'created schema app owned by app_owner',
        ]),
      );
    });

    it('creates the master secret in the full shape', async () => {
      const { value } = await getSecret('test/rds/master');
      expect(Object.keys(value).sort()).toEqual(['dbname', 'engine', 'host', 'password', 'port', 'username']);
      expect(value).toMatchObject({
        engine: 'postgres',
        host: server.host,
        port: server.port,
        dbname: 'postgres',
        username: server.superuser,
      });
      expect(value.password === server.superuserPassword, 'master password differs').toBe(true);
    });

    it('creates the app secret in the full rotation shape, pointing at the master secret', async () => {
      const { value } = await getSecret('test/app/db');
      expect(Object.keys(value).sort()).toEqual([
        'dbname',
        'engine',
        'host',
        'masterarn',
        'password',
        'port',
        'username',
      ]);
      expect(value).toMatchObject({
        engine: 'postgres',
        host: server.host,
        port: server.port,
        dbname: 'app',
        username: 'app',
        masterarn: first.masterSecretArn,
      });
      expect(appPassword.length).toBe(32);
      const excluded = DEFAULT_EXCLUDE_CHARACTERS.split('').filter((c) => appPassword.includes(c));
      expect(excluded.length, 'the password has excluded characters').toBe(0);
    });

    it('creates the roles: NOLOGIN owner, LOGIN app member WITH INHERIT and SET', async () => {
      const roles = await admin.query<{ rolname: string; rolcanlogin: boolean; scram: boolean }>(
        `SELECT rolname, rolcanlogin, coalesce(rolpassword LIKE 'SCRAM-SHA-256$%', false) AS scram
           FROM pg_authid WHERE rolname IN ('app', 'app_owner') ORDER BY rolname`,
      );
      expect(roles.rows).toEqual([
        { rolname: 'app', rolcanlogin: true, scram: true },
        { rolname: 'app_owner', rolcanlogin: false, scram: false },
      ]);
      const membership = await admin.query<{ inherit_option: boolean; set_option: boolean }>(
        `SELECT inherit_option, set_option FROM pg_auth_members
          WHERE roleid = 'app_owner'::regrole AND member = 'app'::regrole`,
      );
      expect(membership.rows).toEqual([{ inherit_option: true, set_option: true }]);
      // search_path is left to the client, not pinned on the role.
      const roleSettings = await admin.query(
        "SELECT 1 FROM pg_db_role_setting WHERE setrole = 'app'::regrole",
      );
      expect(roleSettings.rowCount).toBe(0);
    });

    it('gives the schema to the owner role and takes CREATE on public away from PUBLIC', async () => {
      const client = await connect(server.superuser, server.superuserPassword, 'app');
      try {
        const schema = await client.query<{ owner: string }>(
          "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'app'",
        );
        expect(schema.rows).toEqual([{ owner: 'app_owner' }]);
        const publicCreate = await client.query<{ ok: boolean }>(
          "SELECT has_schema_privilege('app', 'public', 'CREATE') AS ok",
        );
        expect(publicCreate.rows[0]?.ok).toBe(false);
        const connectGrant = await client.query<{ ok: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
             WHERE d.datname = 'app' AND a.grantee = 'app_owner'::regrole AND a.privilege_type = 'CONNECT') AS ok`,
        );
        expect(connectGrant.rows[0]?.ok).toBe(true);
      } finally {
        await client.end();
      }
    });

    it('lets app SET ROLE app_owner and create a table owned by app_owner', async () => {
      const client = await connect('app', appPassword, 'app');
      try {
        await client.query('SET ROLE app_owner');
        await client.query('CREATE TABLE widgets (id integer PRIMARY KEY)');
        await client.query('RESET ROLE');
        const table = await client.query<{ schemaname: string; tableowner: string }>(
          "SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'widgets'",
        );
        expect(table.rows).toEqual([{ schemaname: 'app', tableowner: 'app_owner' }]);
        // Inherited privileges: app uses the owner's table without SET ROLE.
        await client.query('INSERT INTO widgets VALUES (1)');
        const count = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM widgets');
        expect(count.rows[0]?.n).toBe(1);
        // And nobody creates objects in public.
        const denied = await client.query('CREATE TABLE public.stray (id integer)').then(
          () => undefined,
          (err: unknown) => err as { code?: string },
        );
        expect(denied?.code).toBe('42501');
      } finally {
        await client.end();
      }
    });

    it('is idempotent: a second run changes nothing', async () => {
      const describeVersions = async (id: string): Promise<unknown> =>
        (await sm.send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages;
      const before = {
        master: await describeVersions('test/rds/master'),
        app: await describeVersions('test/app/db'),
        masterVersion: (await getSecret('test/rds/master')).versionId,
        appVersion: (await getSecret('test/app/db')).versionId,
      };
      const verifierBefore = await admin.query<{ rolpassword: string }>(
        "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'",
      );

      const second = await bootstrapDatabase(options());

      expect(second.changes).toEqual([]);
      expect(second.masterSecretArn).toBe(first.masterSecretArn);
      expect(second.appSecretArn).toBe(first.appSecretArn);
      expect({
        master: await describeVersions('test/rds/master'),
        app: await describeVersions('test/app/db'),
        masterVersion: (await getSecret('test/rds/master')).versionId,
        appVersion: (await getSecret('test/app/db')).versionId,
      }).toEqual(before);
      const verifierAfter = await admin.query<{ rolpassword: string }>(
        "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'",
      );
      expect(
        verifierAfter.rows[0]?.rolpassword === verifierBefore.rows[0]?.rolpassword,
        'app password changed',
      ).toBe(true);
      const client = await connect('app', appPassword, 'app');
      const table = await client.query('SELECT 1 FROM widgets');
      expect(table.rowCount).toBe(1);
      await client.end();
    });

    it('logs progress but nothing secret, and the server log has no cleartext password', () => {
      const secrets = { 'master password': server.superuserPassword, 'app password': appPassword };
      expect(logLines.length).toBeGreaterThan(0);
      expectNoSecrets(logLines.join('\n'), secrets);
      if (server.logFile !== undefined) {
        const serverLog = readFileSync(server.logFile, 'utf8');
        // log_statement=ddl is on, so the role DDL itself is in the log, with a verifier only.
        expect(serverLog).toMatch(/CREATE ROLE "app" LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
        expectNoSecrets(serverLog, secrets);
      }
    });
  });

  describe('existing state', () => {
    it('fails clearly, without the password, when the app secret no longer logs in', async () => {
      const names = {
        database: 'drift',
        schema: 'drift',
        ownerRole: 'drift_owner',
        appUser: 'drift',
        appSecretName: 'test/drift/db',
      };
      await bootstrapDatabase(options(names));
      const secretPassword = String((await getSecret('test/drift/db')).value.password);
      // Someone changed the role's password behind the secret's back.
      await admin.query(
        `ALTER ROLE drift PASSWORD ${pg.escapeLiteral(computeScramVerifier('something-else-1'))}`,
      );

      const err = await rejectionOf(bootstrapDatabase(options(names)));
      expect(err).toBeInstanceOf(BootstrapError);
      expect((err as BootstrapError).code).toBe('28P01');
      expect((err as BootstrapError).message).toMatch(/test\/drift\/db does not log in as role "drift"/);
      expectNoSecrets(errorText(err), {
        'app password': secretPassword,
        'master password': server.superuserPassword,
      });

      // Nothing was reset: the role still has the other password.
      const still = await connect('drift', 'something-else-1', 'drift');
      await still.end();
    });

    it('refuses to invent a password for a role that exists without a secret', async () => {
      await admin.query('CREATE ROLE orphan LOGIN');
      const err = await rejectionOf(
        bootstrapDatabase(
          options({
            database: 'orphan',
            schema: 'orphan',
            ownerRole: 'orphan_owner',
            appUser: 'orphan',
            appSecretName: 'test/orphan/db',
          }),
        ),
      );
      expect(err).toBeInstanceOf(BootstrapError);
      expect((err as Error).message).toMatch(
        /role "orphan" exists but the app secret test\/orphan\/db does not/,
      );
      const secret = await rejectionOf(sm.send(new GetSecretValueCommand({ SecretId: 'test/orphan/db' })));
      expect((secret as Error).name).toBe('ResourceNotFoundException');
      // It stopped before changing anything.
      const created = await admin.query(
        "SELECT 1 FROM pg_database WHERE datname = 'orphan' UNION ALL SELECT 1 FROM pg_roles WHERE rolname = 'orphan_owner'",
      );
      expect(created.rowCount).toBe(0);
    });

    it('completes an interrupted run: an existing app secret without its role gets the role', async () => {
      const password = 'Interrupted-Run-Password-1';
      await sm.send(
        new CreateSecretCommand({
          Name: 'test/resume/db',
          SecretString: JSON.stringify({
            engine: 'postgres',
            host: server.host,
            port: server.port,
            dbname: 'resume',
            username: 'resume',
            password,
          }),
        }),
      );
      const result = await bootstrapDatabase(
        options({
          database: 'resume',
          schema: 'resume',
          ownerRole: 'resume_owner',
          appUser: 'resume',
          appSecretName: 'test/resume/db',
        }),
      );
      expect(result.changes).toContain('created role resume (LOGIN, password from test/resume/db)');
      const client = await connect('resume', password, 'resume');
      await client.end();
    });

    it('accepts an app secret that rotation moved to the clone user', async () => {
      const password = 'Clone-User-Password-1';
      await sm.send(
        new CreateSecretCommand({
          Name: 'test/alt/db',
          SecretString: JSON.stringify({ username: 'alt_clone', password }),
        }),
      );
      const result = await bootstrapDatabase(
        options({
          database: 'alt',
          schema: 'alt',
          ownerRole: 'alt_owner',
          appUser: 'alt',
          appSecretName: 'test/alt/db',
        }),
      );
      expect(result.changes).toEqual(
        expect.arrayContaining([
          'granted alt_owner to alt (INHERIT, SET)',
          'granted alt_owner to alt_clone (INHERIT, SET)',
        ]),
      );
      const client = await connect('alt_clone', password, 'alt');
      await client.query('SET ROLE alt_owner');
      await client.end();
    });
  });

  describe('input checks', () => {
    it.each([
      ['database', { database: 'App' }],
      ['schema', { schema: 'a-b' }],
      ['owner role', { ownerRole: 'pg_owner' }],
      ['app user', { appUser: 'a'.repeat(58) }],
    ])('rejects an invalid %s name before touching anything', async (_kind, names) => {
      await expect(bootstrapDatabase(options(names))).rejects.toThrow(BootstrapError);
    });

    it('needs master credentials when the master secret does not exist', async () => {
      const withoutCredentials = {
        ...options({ masterSecretId: 'test/missing/master' }),
        masterCredentials: undefined,
      };
      await expect(bootstrapDatabase(withoutCredentials)).rejects.toThrow(
        /test\/missing\/master does not exist/,
      );
    });

    it('does not echo a malformed secret in its error', async () => {
      const content = '{"username":"postgres","password":"do-not-echo-this-1",';
      await sm.send(new CreateSecretCommand({ Name: 'test/bad/master', SecretString: content }));
      const err = await rejectionOf(bootstrapDatabase(options({ masterSecretId: 'test/bad/master' })));
      expect((err as Error).message).toBe('secret test/bad/master is not valid JSON');
      expectNoSecrets(errorText(err), { 'malformed secret': 'do-not-echo-this-1' });
    });
  });
});
