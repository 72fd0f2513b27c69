/**
 * `npm run rotate -- --invoke local` against moto_server (what docker compose runs against
 * LocalStack): the CLI reserves AWSPENDING itself and runs the four steps in-process, rotating a
 * real PostgreSQL role that the bootstrap created through moto. Both reservations are exercised:
 * RotateSecret (moto keeps the version it reserved) and PutSecretValue by createSecret's own code
 * (what LocalStack needs, since its RotateSecret reserves nothing without a Lambda function).
 *
 * Mandatory when REQUIRE_MOTO=1; skipped when moto_server is not on PATH otherwise.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDatabase, type BootstrapResult } from '../../../db-bootstrap/index.js';
import { findOnPath, type RunningTarget } from '../../helpers/secrets-manager-targets.js';
import { MOTO_REGION, startMotoAndPostgres } from '../../helpers/moto-and-postgres.js';
import type { RunningPostgres } from '../../helpers/postgres.js';
import { runRepoCli, type CliResult } from '../../helpers/repo-cli.js';
import { everyPassword, logsIn, secretValue, stagesOf } from '../../helpers/rotation-fixtures.js';

const CREDENTIALS = { accessKeyId: 'AKIDINVOKELOCAL', secretAccessKey: 'invoke-local-dummy-key' };

const skip = process.env.REQUIRE_MOTO !== '1' && !findOnPath('moto_server');

describe.skipIf(skip)('npm run rotate -- --invoke local, against moto', () => {
  let moto: RunningTarget;
  let postgres: RunningPostgres;
  let client: SecretsManagerClient;
  let boot: BootstrapResult;
  const outputs: string[] = [];
  /** What beforeAll started, stopped in reverse order whatever happened. */
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    ({ moto, postgres, client } = await startMotoAndPostgres(CREDENTIALS, cleanups));
    boot = await bootstrapDatabase({
      secretsManager: client,
      connection: {
        host: postgres.host,
        port: postgres.port,
        maintenanceDatabase: postgres.database,
        ssl: false,
      },
      masterCredentials: { username: postgres.superuser, password: postgres.superuserPassword },
    });
  });

  afterAll(async () => {
    try {
      if (outputs.length > 0) {
        const passwords = await everyPassword(client);
        passwords.add(postgres.superuserPassword);
        const text = outputs.join('\n');
        expect(
          [...passwords].filter((p) => text.includes(p)),
          'passwords in CLI output',
        ).toEqual([]);
      }
    } finally {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }
  });

  /** The CLI as compose's rotator service runs it: endpoint, region and credentials from the environment. */
  function rotate(args: string[]): Promise<CliResult> {
    return runRepoCli(
      'local/rotator/main.ts',
      ['--invoke', 'local', '--secret-id', boot.appSecretArn, ...args],
      {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.url,
        AWS_REGION: MOTO_REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        DB_SSL: 'disable',
        DB_OWNER_ROLE: boot.ownerRole,
        LOG_LEVEL: 'info',
      },
      outputs,
    );
  }

  async function current(): Promise<{ username: string; password: string }> {
    return secretValue(client, boot.appSecretArn, 'AWSCURRENT');
  }

  it('rotates --count times, --every seconds apart, alternating the users, reserving with RotateSecret', async () => {
    const before = await current();
    expect(before.username).toBe(boot.appUser);
    const started = Date.now();
    const run = await rotate(['--strategy', 'alternating-users', '--every', '1', '--count', '2']);
    const elapsedMs = Date.now() - started;
    expect(run.stderr).not.toMatch(/rotate:/);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^rotation 1\/2: .* \(alternating-users, in-process, reserved by RotateSecret\) in \d+ ms: createSecret \d+ ms, setSecret \d+ ms, testSecret \d+ ms, finishSecret \d+ ms$/,
    );
    expect(lines[1]).toMatch(/^rotation 2\/2: /);
    // --every is the period between starts: two rotations take at least one period.
    expect(elapsedMs).toBeGreaterThanOrEqual(1000);

    // app → app_clone → app, each password live, nothing left pending.
    const after = await current();
    expect(after.username).toBe(boot.appUser);
    expect(after.password).not.toBe(before.password);
    expect(await logsIn(postgres, after.username, after.password, boot.database)).toBe(true);
    expect(await logsIn(postgres, before.username, before.password, boot.database)).toBe(false);
    const previous = await secretValue(client, boot.appSecretArn, 'AWSPREVIOUS');
    expect(previous.username).toBe(`${boot.appUser}_clone`);
    expect(await logsIn(postgres, previous.username, previous.password, boot.database)).toBe(true);
    expect(Object.values(await stagesOf(client, boot.appSecretArn)).flat()).not.toContain('AWSPENDING');
    // The function's log went to stderr, as JSON lines.
    expect(run.stderr).toMatch(/"message":"step done"/);
  });

  it('reserves with PutSecretValue (the LocalStack path) and rotates a single user', async () => {
    const before = await current();
    const run = await rotate(['--strategy', 'single-user', '--reserve', 'put-pending']);
    expect(run.stderr).not.toMatch(/rotate:/);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(
      /^rotation 1\/1: .* \(single-user, in-process, reserved by PutSecretValue\) in \d+ ms: createSecret/,
    );
    const after = await current();
    expect(after.username).toBe(before.username);
    expect(after.password).not.toBe(before.password);
    expect(await logsIn(postgres, after.username, after.password, boot.database)).toBe(true);
    expect(await logsIn(postgres, before.username, before.password, boot.database)).toBe(false);
    expect(Object.values(await stagesOf(client, boot.appSecretArn)).flat()).not.toContain('AWSPENDING');
    // createSecret found the value the reservation put there.
    expect(run.stderr).toMatch(/"outcome":"pending-exists"/);
  });

  it('refuses bad arguments with exit code 2', async () => {
    const run = await rotate(['--reserve', 'sometimes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--reserve must be one of auto, rotate-secret, put-pending/);
  });
});
