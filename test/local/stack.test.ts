import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../local/free-port.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// What `npx tsx` runs. Spawned directly: npm exec does not pass SIGTERM on to the script it runs.
const tsxCli = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

type StackProcess = ChildProcessByStdio<null, Readable, Readable>;

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function waitForLine(child: StackProcess, pattern: RegExp, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      reject(
        new Error(
          `stack exited (code ${code}, signal ${signal}) before "${pattern.source}":\n${output.join('\n')}`,
        ),
      );
    };
    child.once('exit', onExit);
    lines.on('line', (line) => {
      output.push(line);
      if (pattern.test(line)) {
        child.off('exit', onExit);
        resolve(line);
      }
    });
  });
}

describe('npm run stack (local/stack.ts)', () => {
  let workDir: string;
  let envFile: string;
  let pgPort: number;
  let smPort: number;
  let child: StackProcess;
  const output: string[] = [];
  let exited: Promise<number | null>;
  let readyLine: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'stack-test-'));
    envFile = join(workDir, 'nested', 'stack.env');
    pgPort = await findFreePort();
    do smPort = await findFreePort();
    while (smPort === pgPort);

    child = spawn(
      process.execPath,
      [
        tsxCli,
        'local/stack.ts',
        '--pg-port',
        String(pgPort),
        '--sm-port',
        String(smPort),
        '--env-out',
        envFile,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      output.push(chunk);
    });
    // close: the process exited and its output is fully read.
    exited = new Promise((resolve) => {
      child.once('close', (code) => {
        resolve(code);
      });
    });
    readyLine = await waitForLine(child, /stack ready/, output);
  }, 120_000);

  afterAll(async () => {
    // A failed test left it running: SIGTERM (tsx passes it on; SIGKILL would orphan the stack).
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(workDir, { recursive: true, force: true });
  });

  it('serves the app as the env file describes, and stops cleanly on SIGTERM', async () => {
    expect(readyLine).toContain(`http://127.0.0.1:${smPort}`);
    expect(readyLine).toContain(`127.0.0.1:${pgPort}`);
    const dataDir = /\(data ([^)]+)\)/.exec(readyLine)?.[1] ?? '';
    expect(existsSync(dataDir)).toBe(true);

    const env = parseEnvFile(await readFile(envFile, 'utf8'));
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${smPort}`,
      DB_SSL: 'disable',
      PGHOST: '127.0.0.1',
      PGPORT: String(pgPort),
      PGDATABASE: 'app',
      DB_SECRET_ID: 'local/app/db',
      DB_MASTER_SECRET_ID: 'local/rds/master',
    });
    for (const key of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(env[key], key).toBeTruthy();
    }

    // The app's way in: its principal, its secret, its password.
    const sm = new SecretsManagerClient({
      endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
      region: env.AWS_REGION,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    const [appSecret, masterSecret] = await Promise.all(
      [env.DB_SECRET_ID, env.DB_MASTER_SECRET_ID].map(async (id) => {
        const out = await sm.send(new GetSecretValueCommand({ SecretId: id }));
        return JSON.parse(out.SecretString ?? '{}') as { username: string; password: string };
      }),
    );
    sm.destroy();
    if (!appSecret || !masterSecret) throw new Error('secrets missing');

    const client = new pg.Client({
      host: env.PGHOST,
      port: Number(env.PGPORT),
      database: env.PGDATABASE,
      user: appSecret.username,
      password: appSecret.password,
      options: '-c search_path=app',
    });
    await client.connect();
    const who = await client.query<{ user: string; schema: string }>(
      'SELECT current_user AS user, current_schema() AS schema',
    );
    expect(who.rows).toEqual([{ user: 'app', schema: 'app' }]);
    await client.end();

    // No password in the env file or anywhere in the output.
    const envText = await readFile(envFile, 'utf8');
    for (const [label, password] of [
      ['app password', appSecret.password],
      ['master password', masterSecret.password],
    ] as const) {
      expect(envText.includes(password), `${label} in the env file`).toBe(false);
      expect(output.join('\n').includes(password), `${label} in the output`).toBe(false);
    }

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(envFile)).toBe(false);
    expect(output.join('\n')).toContain('stack stopped');
  }, 60_000);
});
