/**
 * The rotator registered as the local stack's rotation function: real rotations of the PostgreSQL
 * roles, started by the rotator API, by awscli and by `npm run rotate`; the service's retry and
 * "rotation in progress" rules; and the same rotator driving moto.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPALS, startEmbeddedStack, type EmbeddedStack } from '../../../local/embedded-stack.js';
import {
  RotationFailedError,
  RotationInProgressError,
  Rotator,
  type StepInvocation,
} from '../../../local/rotator/index.js';
import { createLogger } from '../../../rotation/logger.js';
import { findOnPath, startMotoServer } from '../../helpers/secrets-manager-targets.js';
import {
  createFixture,
  everyPassword,
  logsIn,
  secretValue,
  stagesOf,
  versionWith,
} from '../../helpers/rotation-fixtures.js';
import { runRepoCli, type CliResult } from '../../helpers/repo-cli.js';
import { motoReservation } from '../../helpers/rotation-targets.js';

const execFileAsync = promisify(execFile);

let stack: EmbeddedStack;
let rotator: Rotator;
let admin: SecretsManagerClient;
const stackLog: string[] = [];
const functionLog: string[] = [];
const outputs: string[] = [];
/** What the test wants done after each step invocation of the stack's rotator. */
let afterStep: ((invocation: StepInvocation) => void | Promise<void>) | undefined;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    rotation: {
      strategy: 'alternating-users',
      retry: { attempts: 2, delayMs: 10 },
      functionLogger: createLogger({ level: 'debug', write: (line) => functionLog.push(line) }),
      onStep: (invocation) => afterStep?.(invocation),
    },
    log: (line) => stackLog.push(line),
  });
  if (!stack.rotator) throw new Error('the stack has no rotator');
  rotator = stack.rotator;
  admin = stack.secretsManagerClient('admin');
});

afterAll(async () => {
  try {
    const passwords = await everyPassword(admin);
    passwords.add(stack.postgres.superuserPassword);
    const text = [...stackLog, ...functionLog, ...outputs].join('\n');
    expect(functionLog.length).toBeGreaterThan(50);
    expect([...passwords].filter((p) => text.includes(p)).length, 'passwords in logs or CLI output').toBe(0);
  } finally {
    await stack.stop();
  }
});

/** A client as the secret's user, with search_path on the app schema. */
async function connectAs(user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: stack.postgres.host,
    port: stack.postgres.port,
    database: stack.bootstrap.database,
    user,
    password,
    options: `-c search_path=${stack.bootstrap.schema}`,
  });
  await client.connect();
  return client;
}

describe('the rotator as the stack’s rotation function', () => {
  it('alternates users over 4 rotations; both users work, and objects made by either serve the other', async () => {
    const id = stack.appSecretId;
    const users: string[] = [];
    const made: string[] = [];
    let before = await secretValue(admin, id, 'AWSCURRENT');

    for (let round = 1; round <= 4; round++) {
      const report = await rotator.rotate(id);
      expect(report.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
        'createSecret:created',
        `setSecret:${round === 1 ? 'clone-created' : 'password-updated'}`,
        'testSecret:tested',
        'finishSecret:finished',
      ]);
      const stages = await stagesOf(admin, id);
      const previousVersion = versionWith(stages, 'AWSPREVIOUS') ?? '';
      expect(stages).toEqual({ [previousVersion]: ['AWSPREVIOUS'], [report.versionId]: ['AWSCURRENT'] });

      const current = await secretValue(admin, id, 'AWSCURRENT');
      const previous = await secretValue(admin, id, 'AWSPREVIOUS');
      expect(previous).toEqual(before);
      expect(current.username).toBe(before.username === 'app' ? 'app_clone' : 'app');
      users.push(current.username);
      expect(await logsIn(stack.postgres, current.username, current.password, 'app')).toBe(true);
      expect(await logsIn(stack.postgres, previous.username, previous.password, 'app')).toBe(true);

      // The current user creates a table the way migrations do, and uses every table made so far.
      const client = await connectAs(current.username, current.password);
      try {
        await client.query(`SET ROLE ${stack.bootstrap.ownerRole}`);
        const table = `made_in_round_${round}`;
        await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, by text NOT NULL)`);
        await client.query('RESET ROLE');
        made.push(table);
        for (const t of made)
          await client.query(`INSERT INTO ${t} (id, by) VALUES ($1, $2)`, [round, current.username]);
      } finally {
        await client.end();
      }
      // ...and the previous user reads and writes them too, without SET ROLE.
      const other = await connectAs(previous.username, previous.password);
      try {
        for (const t of made) {
          await other.query(`INSERT INTO ${t} (id, by) VALUES ($1, $2)`, [100 + round, previous.username]);
          const rows = await other.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`);
          expect(Number(rows.rows[0]?.n)).toBeGreaterThan(0);
        }
      } finally {
        await other.end();
      }
      before = current;
    }
    expect(users).toEqual(['app_clone', 'app', 'app_clone', 'app']);

    const owners = await connectAs(before.username, before.password);
    try {
      const result = await owners.query<{ owner: string }>(
        'SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = $1',
        [stack.bootstrap.schema],
      );
      expect(result.rows).toEqual([{ owner: stack.bootstrap.ownerRole }]);
    } finally {
      await owners.end();
    }
    expect(
      stackLog.filter((line) => line.startsWith('rotation: rotated local/app/db to version')),
    ).toHaveLength(4);
  });

  it.skipIf(!findOnPath('aws'))('rotates for real on `aws secretsmanager rotate-secret`', async () => {
    const { stdout } = await execFileAsync(
      'aws',
      [
        '--endpoint-url',
        stack.secretsManager.url,
        'secretsmanager',
        'rotate-secret',
        '--secret-id',
        stack.appSecretId,
        '--output',
        'json',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          AWS_ACCESS_KEY_ID: LOCAL_PRINCIPALS.admin.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_PRINCIPALS.admin.secretAccessKey,
          AWS_DEFAULT_REGION: stack.secretsManager.region,
        },
      },
    );
    outputs.push(stdout);
    const { VersionId } = JSON.parse(stdout) as { VersionId: string };
    const report = await rotator.waitForRotation(VersionId);
    expect(report.versionId).toBe(VersionId);
    expect(versionWith(await stagesOf(admin, stack.appSecretId), 'AWSCURRENT')).toBe(VersionId);
    const current = await secretValue(admin, stack.appSecretId, 'AWSCURRENT');
    expect(await logsIn(stack.postgres, current.username, current.password, 'app')).toBe(true);
  });

  it('`npm run rotate` prints one line per rotation: the version and each step’s duration', async () => {
    const run = await runCli([
      '--secret-id',
      stack.appSecretId,
      '--strategy',
      'single-user',
      '--count',
      '2',
      '--every',
      '0.2',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      expect(line).toMatch(
        new RegExp(
          `^rotation ${i + 1}/2: local/app/db version [0-9a-f-]{36} \\(single-user\\) in \\d+ ms: ` +
            'createSecret \\d+ ms, setSecret \\d+ ms, testSecret \\d+ ms, finishSecret \\d+ ms$',
        ),
      );
    });
    const last = /version ([0-9a-f-]{36})/.exec(lines[1] ?? '')?.[1];
    expect(versionWith(await stagesOf(admin, stack.appSecretId), 'AWSCURRENT')).toBe(last);
    const report = await rotator.waitForRotation(last ?? '');
    expect(report.strategy).toBe('single-user');
    // Single user: AWSPREVIOUS is the same user with a password that no longer works.
    const current = await secretValue(admin, stack.appSecretId, 'AWSCURRENT');
    const previous = await secretValue(admin, stack.appSecretId, 'AWSPREVIOUS');
    expect(previous.username).toBe(current.username);
    expect(await logsIn(stack.postgres, current.username, current.password, 'app')).toBe(true);
    expect(await logsIn(stack.postgres, previous.username, previous.password, 'app')).toBe(false);
  });

  it('retries a failed rotation with the same token, as the service does', async () => {
    const fault = stack.secretsManager.faults.set({ kind: 'error', operations: ['PutSecretValue'] });
    const failures: StepInvocation[] = [];
    afterStep = (invocation) => {
      if (invocation.errorType === undefined) return;
      failures.push(invocation);
      stack.secretsManager.faults.clear(fault.id);
    };
    try {
      const report = await rotator.rotate(stack.appSecretId, { strategy: 'alternating-users' });
      expect(report.attempts).toBe(2);
      expect(failures.map((f) => [f.attempt, f.step, f.versionId])).toEqual([
        [1, 'createSecret', report.versionId],
      ]);
      expect(versionWith(await stagesOf(admin, stack.appSecretId), 'AWSCURRENT')).toBe(report.versionId);
    } finally {
      afterStep = undefined;
      stack.secretsManager.faults.clear();
    }
  });

  it('gives up after the last attempt, refuses new rotations while AWSPENDING is stuck, and resumes', async () => {
    const id = stack.appSecretId;
    const fault = stack.secretsManager.faults.set({ kind: 'error', operations: ['PutSecretValue'] });
    let stuck: string | undefined;
    try {
      const error = await rotator.rotate(id).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(RotationFailedError);
      const failed = error as RotationFailedError;
      expect([failed.attempts, failed.failedStep]).toEqual([2, 'createSecret']);
      stuck = failed.versionId;
      expect((await stagesOf(admin, id))[stuck]).toEqual(['AWSPENDING']);
      expect(stackLog.at(-1)).toContain(
        `rotation failed: rotation of ${id} to version ${stuck} failed after 2 attempt(s)`,
      );

      await expect(rotator.rotate(id)).rejects.toBeInstanceOf(RotationInProgressError);
      await expect(admin.send(new RotateSecretCommand({ SecretId: id }))).rejects.toMatchObject({
        name: 'InvalidRequestException',
      });
      const cli = await runCli(['--secret-id', id]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`A previous rotation isn't complete: version ${stuck} holds AWSPENDING`);
    } finally {
      stack.secretsManager.faults.clear(fault.id);
    }
    const resumed = await rotator.resume(id);
    expect(resumed?.versionId).toBe(stuck);
    const stages = await stagesOf(admin, id);
    expect(stages[stuck]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).flat()).not.toContain('AWSPENDING');
    expect(await rotator.resume(id)).toBeUndefined();
  });
});

describe.skipIf(process.env.REQUIRE_MOTO !== '1' && !findOnPath('moto_server'))(
  'the rotator against moto',
  () => {
    it('rotates alternating users and then a single user through moto', async () => {
      const moto = await startMotoServer();
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient({
        endpoint: moto.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDMOTOROTATOR', secretAccessKey: 'dummy' },
      });
      try {
        const fx = await createFixture({
          sm: client,
          postgres: stack.postgres,
          tag: 'moto_rotator',
          database: 'rot_moto_rotator',
          masterSecretId: 'test/moto/master',
        });
        const motoRotator = new Rotator({
          secretsManager: client,
          strategy: 'alternating-users',
          functionEnv: { DB_SSL: 'disable', DB_OWNER_ROLE: fx.ownerRole },
          retry: { attempts: 1 },
        });
        const users: string[] = [];
        for (const strategy of ['alternating-users', 'alternating-users', 'single-user'] as const) {
          const report = await motoRotator.rotate(fx.secretArn, { strategy, reserve: motoReservation });
          expect(report.attempts).toBe(1);
          const stages = await stagesOf(client, fx.secretArn);
          expect(stages[report.versionId]).toEqual(['AWSCURRENT']);
          expect(Object.values(stages).flat()).not.toContain('AWSPENDING');
          const current = await secretValue(client, fx.secretArn, 'AWSCURRENT');
          users.push(current.username);
          expect(await logsIn(stack.postgres, current.username, current.password, fx.database)).toBe(true);
        }
        expect(users).toEqual([fx.cloneUser, fx.appUser, fx.appUser]);
        for (const password of await everyPassword(client)) {
          expect(functionLog.join('\n').includes(password)).toBe(false);
        }
      } finally {
        client.destroy();
        await moto.stop();
      }
    });
  },
);

/** `npm run rotate` as a user runs it after `. .local/stack.env` (tsx directly: npm adds nothing here). */
function runCli(args: string[]): Promise<CliResult> {
  return runRepoCli('local/rotator/main.ts', args, stack.env, outputs);
}
