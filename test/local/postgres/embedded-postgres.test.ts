import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../local/free-port.js';
import {
  startEmbeddedPostgres,
  type RunningEmbeddedPostgres,
} from '../../../local/postgres/embedded-postgres.js';

async function connectionError(config: pg.ClientConfig): Promise<{ code?: string } | undefined> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (err) {
    return err as { code?: string };
  }
}

/** The pid of a process that has exited (and been reaped): no process has it for now. */
function deadPid(): number {
  return spawnSync('true').pid;
}

describe('embedded PostgreSQL', () => {
  let server: RunningEmbeddedPostgres;
  let requestedPort: number;

  beforeAll(async () => {
    requestedPort = await findFreePort();
    server = await startEmbeddedPostgres({ port: requestedPort, logStatements: true });
  });

  afterAll(async () => {
    await server.stop();
  });

  const superuserConfig = (): pg.ClientConfig => ({
    host: server.host,
    port: server.port,
    user: server.superuser,
    password: server.superuserPassword,
    database: server.database,
  });

  it('listens on the requested port on 127.0.0.1 and accepts the superuser password', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBe(requestedPort);
    const client = new pg.Client(superuserConfig());
    await client.connect();
    const settings = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('listen_addresses', 'password_encryption', 'log_statement', 'logging_collector')
        ORDER BY name`,
    );
    expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
      listen_addresses: '127.0.0.1',
      log_statement: 'ddl',
      logging_collector: 'off',
      password_encryption: 'scram-sha-256',
    });
    await client.end();
  });

  it('enforces SCRAM: every pg_hba rule is scram-sha-256, no trust', async () => {
    const client = new pg.Client(superuserConfig());
    await client.connect();
    const rules = await client.query<{ auth_method: string }>('SELECT auth_method FROM pg_hba_file_rules');
    expect(rules.rows.length).toBeGreaterThan(0);
    expect(new Set(rules.rows.map((r) => r.auth_method))).toEqual(new Set(['scram-sha-256']));
    // The superuser password is stored as a SCRAM verifier.
    const stored = await client.query<{ scram: boolean }>(
      "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = current_user",
    );
    expect(stored.rows[0]?.scram).toBe(true);
    await client.end();
  });

  it('rejects a wrong password with SQLSTATE 28P01', async () => {
    const err = await connectionError({
      ...superuserConfig(),
      password: `${server.superuserPassword}-wrong`,
    });
    expect(err?.code).toBe('28P01');
  });

  it('rejects a role without a password (no trust fallback)', async () => {
    const client = new pg.Client(superuserConfig());
    await client.connect();
    await client.query('CREATE ROLE no_password LOGIN');
    await client.end();
    const err = await connectionError({ ...superuserConfig(), user: 'no_password', password: 'anything' });
    expect(err?.code).toBe('28P01');
  });

  it('freeze() stops the postmaster and every child until thaw(); a query waits, then is answered', async () => {
    const client = new pg.Client(superuserConfig());
    await client.connect();
    const pid = Number(readFileSync(`${server.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    const children =
      (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity')).rows[0]?.n ?? 0;
    const stopped = await server.freeze();
    // the postmaster, this backend and the auxiliary processes (checkpointer, walwriter, ...)
    expect(stopped).toBeGreaterThan(Math.max(2, children));
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) T /);
    let answered = false;
    const query = client.query<{ one: number }>('SELECT 1 AS one').then((r) => {
      answered = true;
      return r.rows;
    });
    // a fresh connection is not answered either (the postmaster does not run)
    const fresh = connectionError({ ...superuserConfig(), connectionTimeoutMillis: 300 });
    expect((await fresh) as Error).toBeInstanceOf(Error);
    expect(answered).toBe(false);
    await expect(server.freeze()).rejects.toThrow(/already frozen/);
    server.thaw();
    expect(await query).toEqual([{ one: 1 }]);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).not.toMatch(/\) T /);
    await client.end();
  });

  it('writes the server log to a file, without the superuser password', () => {
    const log = readFileSync(server.logFile, 'utf8');
    expect(log).toContain('database system is ready to accept connections');
    expect(log).toContain('CREATE ROLE no_password'); // log_statement=ddl is active
    expect(log.includes(server.superuserPassword), 'the superuser password is in the server log').toBe(false);
  });
});

describe('embedded PostgreSQL lifecycle', () => {
  it('picks a free port by default and stop() removes its data', async () => {
    const server = await startEmbeddedPostgres();
    expect(server.port).toBeGreaterThan(0);
    expect(existsSync(server.dataDir)).toBe(true);
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.superuser,
      password: server.superuserPassword,
      database: server.database,
    });
    await client.connect();
    await client.end();

    await server.stop();
    expect(existsSync(server.baseDir)).toBe(false);
    const err = await connectionError({
      host: server.host,
      port: server.port,
      user: server.superuser,
      password: server.superuserPassword,
      connectionTimeoutMillis: 2000,
    });
    expect(err?.code).toBe('ECONNREFUSED');
    await server.stop(); // idempotent
  });

  it('removes the data an owner killed outright left behind, never a live or a new instance', async () => {
    // An instance whose owner got SIGKILL: its server stopped (parent-death signal), its data stayed.
    const abandoned = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    mkdirSync(join(abandoned, 'data'));
    writeFileSync(join(abandoned, 'data', 'postmaster.pid'), `${deadPid()}\n`);
    const longAgo = new Date(Date.now() - 60 * 60_000);
    utimesSync(abandoned, longAgo, longAgo);
    // One still starting (recent, no postmaster.pid yet), and an old one whose server is live.
    const starting = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    const live = await startEmbeddedPostgres();
    utimesSync(live.baseDir, longAgo, longAgo);

    const next = await startEmbeddedPostgres();
    await next.stop();
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(starting)).toBe(true);
    expect(existsSync(live.dataDir)).toBe(true);
    await live.stop();
    rmSync(starting, { recursive: true });
  });

  it('uses a given superuser and password', async () => {
    const server = await startEmbeddedPostgres({
      superuser: 'master',
      superuserPassword: 'given-password-123',
    });
    try {
      const client = new pg.Client({
        host: server.host,
        port: server.port,
        user: 'master',
        password: 'given-password-123',
        database: server.database,
      });
      await client.connect();
      const row = await client.query<{ su: boolean }>(
        'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user',
      );
      expect(row.rows[0]?.su).toBe(true);
      await client.end();
    } finally {
      await server.stop();
    }
  });

  describe('when the requested port is taken', () => {
    let blocker: Server;
    let port: number;

    beforeAll(async () => {
      port = await findFreePort();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => {
        blocker.close(() => {
          resolve();
        });
      });
    });

    it('fails with the reason from the server log', async () => {
      await expect(startEmbeddedPostgres({ port })).rejects.toThrow(/did not start[\s\S]*could not bind/);
    });
  });
});
