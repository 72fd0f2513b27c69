import { existsSync } from 'node:fs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatEnvFile,
  LOCAL_PRINCIPALS,
  startEmbeddedStack,
  type EmbeddedStack,
} from '../../local/embedded-stack.js';

describe('startEmbeddedStack', () => {
  let stack: EmbeddedStack;
  const log: string[] = [];

  beforeAll(async () => {
    stack = await startEmbeddedStack({ log: (line) => log.push(line) });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('describes the app environment without passwords', () => {
    expect(stack.env).toEqual({
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.secretsManager.url,
      AWS_REGION: stack.secretsManager.region,
      AWS_ACCESS_KEY_ID: LOCAL_PRINCIPALS.app.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_PRINCIPALS.app.secretAccessKey,
      DB_SECRET_ID: 'local/app/db',
      DB_MASTER_SECRET_ID: 'local/rds/master',
      DB_SSL: 'disable',
      DB_SCHEMA: 'app',
      DB_OWNER_ROLE: 'app_owner',
      PGHOST: '127.0.0.1',
      PGPORT: String(stack.postgres.port),
      PGDATABASE: 'app',
    });
    const text = formatEnvFile(stack.env);
    expect(text.includes(stack.postgres.superuserPassword), 'master password in the env file').toBe(false);
  });

  it('lets the app principal read its secret and log in; the call log tells principals apart', async () => {
    const sm = stack.secretsManagerClient('app');
    const out = await sm.send(new GetSecretValueCommand({ SecretId: stack.env.DB_SECRET_ID }));
    const secret = JSON.parse(out.SecretString ?? '{}') as { username: string; password: string };
    const client = new pg.Client({
      host: stack.postgres.host,
      port: stack.postgres.port,
      database: 'app',
      user: secret.username,
      password: secret.password,
    });
    await client.connect();
    await client.end();

    const calls = stack.secretsManager.calls;
    expect(
      calls.list({ caller: LOCAL_PRINCIPALS.admin.accessKeyId, operation: 'CreateSecret' }),
    ).toHaveLength(2);
    expect(calls.list({ caller: LOCAL_PRINCIPALS.app.accessKeyId }).map((c) => c.operation)).toEqual([
      'GetSecretValue',
    ]);
    const joined = log.join('\n');
    expect(joined.includes(secret.password), 'app password in the log').toBe(false);
    expect(joined.includes(stack.postgres.superuserPassword), 'master password in the log').toBe(false);
  });

  it('stop() stops everything and removes the data', async () => {
    const { baseDir } = stack.postgres;
    const url = stack.secretsManager.url;
    await stack.stop();
    expect(existsSync(baseDir)).toBe(false);
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
    await stack.stop(); // idempotent
  });
});
