/**
 * `npm run bootstrap` as compose's one-shot `bootstrap` service runs it: everything from the
 * environment, against moto_server (the engine inside LocalStack) and a SCRAM-only PostgreSQL.
 * The first run creates, the second changes nothing; the app secret's password logs in; no
 * password is printed. Mandatory when REQUIRE_MOTO=1; skipped when moto_server is not on PATH.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, type RunningTarget } from '../helpers/secrets-manager-targets.js';
import { MOTO_REGION, startMotoAndPostgres } from '../helpers/moto-and-postgres.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { runRepoCli, type CliResult } from '../helpers/repo-cli.js';
import { everyPassword, logsIn, secretValue } from '../helpers/rotation-fixtures.js';

const CREDENTIALS = { accessKeyId: 'AKIDBOOTSTRAPCLI', secretAccessKey: 'bootstrap-cli-dummy-key' };

const skip = process.env.REQUIRE_MOTO !== '1' && !findOnPath('moto_server');

describe.skipIf(skip)('npm run bootstrap, against moto', () => {
  let moto: RunningTarget;
  let postgres: RunningPostgres;
  let client: SecretsManagerClient;
  const outputs: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    ({ moto, postgres, client } = await startMotoAndPostgres(CREDENTIALS, cleanups));
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

  function bootstrap(extra: Record<string, string> = {}): Promise<CliResult> {
    return runRepoCli(
      'db-bootstrap/main.ts',
      [],
      {
        PGHOST: postgres.host,
        PGPORT: String(postgres.port),
        PGUSER: postgres.superuser,
        PGPASSWORD: postgres.superuserPassword,
        PGDATABASE: postgres.database,
        DB_SSL: 'disable',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.url,
        AWS_REGION: MOTO_REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        DB_SECRET_ID: 'compose/app/db',
        MASTER_SECRET_ID: 'compose/rds/master',
        DB_NAME: 'compose_app',
        DB_SECRET_HOST: 'postgres',
        ...extra,
      },
      outputs,
    );
  }

  it('creates everything once, then changes nothing', async () => {
    const first = await bootstrap();
    expect(first.stderr).not.toMatch(/bootstrap failed/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/bootstrap: created app secret compose\/app\/db/);
    expect(first.stdout).toMatch(
      /^bootstrap done: \d+ change\(s\); database compose_app, schema app owned by app_owner, app user app; app secret arn:/m,
    );

    const secret = await secretValue(client, 'compose/app/db', 'AWSCURRENT');
    // The secret names the host the app containers reach, not the one this process used.
    expect(secret.host).toBe('postgres');
    expect(secret.port).toBe(postgres.port);
    expect(secret.dbname).toBe('compose_app');
    expect(await logsIn(postgres, secret.username, secret.password, 'compose_app')).toBe(true);

    const second = await bootstrap();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^bootstrap done: nothing to change;/m);
    expect((await secretValue(client, 'compose/app/db', 'AWSCURRENT')).password).toBe(secret.password);
  });

  it('contacts only the endpoint and the database it is given (the egress guard)', async () => {
    const run = await bootstrap();
    expect(run.code).toBe(0);
    expect(run.egress.refused).toBe(0);
    const port = (url: string) => new URL(url).port;
    expect(Object.keys(run.egress.allowedByDestination).sort()).toEqual(
      [`127.0.0.1:${port(moto.url)}`, `${postgres.host}:${postgres.port}`].sort(),
    );
  });

  it('names every bad variable at once, exit code 2', async () => {
    const run = await bootstrap({ PGHOST: '', DB_SSL: 'sometimes', PGPORT: 'x' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/PGHOST is required/);
    expect(run.stderr).toMatch(/DB_SSL must be one of verify-full, require, disable/);
    expect(run.stderr).toMatch(/PGPORT must be a port number/);
  });

  it('fails with exit code 1 and a reason when PostgreSQL cannot be reached in time', async () => {
    const run = await bootstrap({
      PGPORT: '1',
      BOOTSTRAP_WAIT_SECONDS: '0',
      DB_SECRET_ID: 'compose/other/db',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^bootstrap failed: could not connect/m);
  });
});
