import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, runMigrations } from '../../../app/src/db/migrate.js';
import { captureLogs } from '../../helpers/log-capture.js';
import {
  OWNER_ROLE,
  SCHEMA,
  appClient,
  startTestCluster,
  superuserClient,
  type AppLogin,
  type TestCluster,
} from '../../helpers/test-database.js';
import type { RunningPostgres } from '../../helpers/postgres.js';

const silent = pino({ level: 'silent' });
const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((name) => name.endsWith('.sql'))
  .map((name) => name.slice(0, -'.sql'.length))
  .sort();

describe('migrations', () => {
  let cluster: TestCluster;
  let server: RunningPostgres;
  let login: AppLogin;
  let databases = 0;

  beforeAll(async () => {
    cluster = await startTestCluster('migrate_0');
    ({ server, login } = cluster);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  /** A fresh database with the empty app schema, as the bootstrap leaves it. */
  async function freshDatabase(): Promise<string> {
    databases += 1;
    const name = `migrate_${databases}`;
    await cluster.bootstrap(name);
    return name;
  }

  async function migrate(database: string, logger = silent): Promise<string[]> {
    const client = await appClient(server, login, database);
    try {
      return await runMigrations({ client, ownerRole: OWNER_ROLE, schema: SCHEMA, logger });
    } finally {
      await client.end();
    }
  }

  async function adminRows<R>(database: string, text: string): Promise<R[]> {
    const admin = await superuserClient(server, database);
    try {
      return (await admin.query(text)).rows as R[];
    } finally {
      await admin.end();
    }
  }

  it('applies every migration once, then nothing on a second run', async () => {
    expect(ALL_MIGRATIONS.length).toBeGreaterThan(0);
    const database = await freshDatabase();
    const logs = captureLogs('info');
    expect(await migrate(database, logs.logger)).toEqual(ALL_MIGRATIONS);
    expect(logs.entries().some((e) => e['component'] === 'migrations')).toBe(true);

    expect(await migrate(database)).toEqual([]);
    const recorded = await adminRows<{ name: string }>(
      database,
      `SELECT name FROM ${SCHEMA}.${MIGRATIONS_TABLE} ORDER BY id`,
    );
    expect(recorded.map((r) => r.name)).toEqual(ALL_MIGRATIONS);
    const [products] = await adminRows<{ count: string }>(
      database,
      `SELECT count(*) FROM ${SCHEMA}.products`,
    );
    expect(Number(products?.count)).toBe(50);
  });

  it('makes the owner role own every object it creates, not the login that ran it', async () => {
    const database = await freshDatabase();
    await migrate(database);
    const objects = await adminRows<{ name: string; kind: string; owner: string }>(
      database,
      `SELECT c.relname AS name, c.relkind::text AS kind, pg_get_userbyid(c.relowner) AS owner
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '${SCHEMA}'`,
    );
    const names = objects.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['products', 'orders', 'order_lines', MIGRATIONS_TABLE]));
    expect(objects.filter((o) => o.owner !== OWNER_ROLE)).toEqual([]);
    // Nothing leaked into public.
    const strays = await adminRows(
      database,
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    expect(strays).toEqual([]);
  });

  it('hands the session back as it came: no role switched, search_path reset', async () => {
    const database = await freshDatabase();
    const client = await appClient(server, login, database);
    try {
      const before = await client.query<{ role: string; path: string }>(
        'SELECT current_user AS role, current_setting($1) AS path',
        ['search_path'],
      );
      await runMigrations({ client, ownerRole: OWNER_ROLE, schema: SCHEMA, logger: silent });
      const after = await client.query<{ role: string; path: string }>(
        'SELECT current_user AS role, current_setting($1) AS path',
        ['search_path'],
      );
      expect(after.rows[0]).toEqual(before.rows[0]);
      expect(after.rows[0]?.role).toBe(login.user);
    } finally {
      await client.end();
    }
  });

  it('is safe when several processes start at once: each migration is applied exactly once', async () => {
    const database = await freshDatabase();
    const results = await Promise.all([migrate(database), migrate(database), migrate(database)]);
    expect(results.flat().sort()).toEqual(ALL_MIGRATIONS);
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    const recorded = await adminRows<{ name: string; count: string }>(
      database,
      `SELECT name, count(*) FROM ${SCHEMA}.${MIGRATIONS_TABLE} GROUP BY name ORDER BY name`,
    );
    expect(recorded).toEqual(ALL_MIGRATIONS.map((name) => ({ name, count: '1' })));
  });

  it('fails, and leaves the role unchanged, when the login is not a member of the owner role', async () => {
    const database = await freshDatabase();
    const admin = await superuserClient(server);
    try {
      await admin.query("CREATE ROLE outsider LOGIN PASSWORD 'outsider-password'");
    } finally {
      await admin.end();
    }
    const client = await appClient(server, { user: 'outsider', password: 'outsider-password' }, database);
    try {
      await expect(
        runMigrations({ client, ownerRole: OWNER_ROLE, schema: SCHEMA, logger: silent }),
      ).rejects.toThrow(/permission denied to set role/);
    } finally {
      await client.end();
    }
  });
});
