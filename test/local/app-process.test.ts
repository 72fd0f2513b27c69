/**
 * The app as a process: startup validation, the SIGTERM sequence, and a rotation performed by
 * outside tools (awscli against the endpoint, psql against PostgreSQL) while load runs.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPALS } from '../../local/embedded-stack.js';
import { computeScramVerifier } from '../../rotation/scram-verifier.js';
import { spawnApp } from '../../local/app-process.js';
import { startBackends, type Backends } from '../helpers/service-harness.js';
import { startSteadyLoad } from '../helpers/steady-load.js';

const run = promisify(execFile);
const onPath = async (tool: string) =>
  run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );

let b: Backends;

beforeAll(async () => {
  b = await startBackends();
});

afterAll(async () => {
  await b.stop();
});

describe('startup', () => {
  it('refuses a bad environment, naming every bad variable, exit 1', async () => {
    const app = await spawnApp({ PORT: 'eighty', DB_SSL: 'sometimes' });
    expect(await app.exited).toBe(1);
    const output = app.lines.join('\n');
    expect(output).toMatch(/DB_SECRET_ID is required/);
    expect(output).toMatch(/PORT must be an integer/);
    expect(output).toMatch(/DB_SSL must be one of verify-full, require, disable/);
  });

  it('refuses a malformed secret, naming the field without printing it, exit 1', async () => {
    const { value, versionId: good } = await b.currentSecret();
    const bad = await b.putVersion(JSON.stringify({ ...value, host: undefined }), 'AWSCURRENT');
    try {
      const app = await spawnApp({ ...b.appEnv(), DB_HOST: '' });
      expect(await app.exited).toBe(1);
      const output = app.lines.join('\n');
      expect(output).toMatch(/secret has no \\"host\\" field and DB_HOST is not set/);
      expect(output).not.toContain(String(value.password));
    } finally {
      await b.promote(good);
      expect(bad).not.toBe(good);
    }
  });
});

describe('SIGTERM', () => {
  it('goes unready at once, keeps serving through the delay, then drains and exits 0', async () => {
    const app = await spawnApp({ ...b.appEnv(), SHUTDOWN_DELAY_SECONDS: '3' });
    await app.waitForLine(/Server listening/);
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);

    app.child.kill('SIGTERM');
    await app.waitForLine(/shutting down: readiness is now 503/);
    const ready = await fetch(`${app.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, draining: true });
    // The load balancer may still send a few requests before it notices: they are served.
    expect((await fetch(`${app.url}/api/products?limit=1`)).status).toBe(200);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    expect(await app.exited).toBe(0);
    // Ordered by the time each line was logged: an async log destination may write the last lines
    // out of order when the process exits.
    const logged = app.lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; time: number });
    const at = (msg: string) => logged.find((e) => e.msg === msg)?.time ?? Number.NaN;
    expect(at('pool drained')).toBeGreaterThanOrEqual(at('shutting down: readiness is now 503'));
    expect(at('shutdown complete')).toBeGreaterThanOrEqual(at('pool drained'));
  });
});

describe('rotation by outside tools', () => {
  // Each awscli call starts a Python interpreter: on a busy 2-core machine this takes more than 30 s.
  it('awscli + psql rotate the password under load: 0 failed requests', { timeout: 90_000 }, async (ctx) => {
    if (!(await onPath('aws')) || !(await onPath('psql'))) ctx.skip();
    const app = await spawnApp(b.appEnv());
    // A failed or timed-out run must not leave the app process behind (a no-op once it has exited).
    ctx.onTestFinished(() => {
      app.child.kill('SIGKILL');
    });
    await app.waitForLine(/Server listening/);
    const load = startSteadyLoad(app.url);
    await load.waitForRequests(100);

    const { accessKeyId, secretAccessKey } = LOCAL_PRINCIPALS.admin;
    const awsEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_DEFAULT_REGION: b.secretsManager.region,
      AWS_PAGER: '',
    };
    const aws = async (...args: string[]) => {
      const { stdout } = await run(
        'aws',
        ['--endpoint-url', b.secretsManager.url, 'secretsmanager', ...args, '--output', 'json'],
        {
          env: awsEnv,
        },
      );
      return JSON.parse(stdout || '{}') as Record<string, unknown>;
    };
    const psql = (sql: string) =>
      run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', b.bootstrap.database, '-c', sql], {
        env: {
          PATH: process.env.PATH ?? '',
          PGHOST: b.postgres.host,
          PGPORT: String(b.postgres.port),
          PGUSER: b.postgres.superuser,
          PGPASSWORD: b.postgres.superuserPassword,
        },
      });

    const secretId = b.bootstrap.appSecretArn;
    const current = await aws('get-secret-value', '--secret-id', secretId);
    const { RandomPassword: password } = (await aws(
      'get-random-password',
      '--password-length',
      '32',
      '--exclude-characters',
      ':/@"\'\\ ',
    )) as {
      RandomPassword: string;
    };
    b.passwords.push(password);
    const token = randomUUID();
    const next = { ...(JSON.parse(String(current.SecretString)) as Record<string, unknown>), password };
    await aws(
      'put-secret-value',
      '--secret-id',
      secretId,
      '--client-request-token',
      token,
      '--secret-string',
      JSON.stringify(next),
      '--version-stages',
      'AWSPENDING',
    );
    await psql(`ALTER ROLE app WITH PASSWORD ${pg.escapeLiteral(computeScramVerifier(password))}`);
    await aws(
      'update-secret-version-stage',
      '--secret-id',
      secretId,
      '--version-stage',
      'AWSCURRENT',
      '--move-to-version-id',
      token,
      '--remove-from-version-id',
      String(current.VersionId),
    );
    await psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'`);

    await load.waitForRequests(400);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    const ready = (await (await fetch(`${app.url}/health/ready`)).json()) as {
      credentials: { versionId: string };
    };
    expect(ready.credentials.versionId).toBe(token);

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const output = app.lines.join('\n');
    expect(b.passwords.filter((p) => output.includes(p))).toHaveLength(0);
  });
});
