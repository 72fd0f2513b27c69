/**
 * Clients other than the JavaScript SDK against the local endpoint: the `aws` CLI, boto3, and the
 * standalone process (`local/secrets-manager/main.ts`) driven over HTTP.
 */
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../../local/secrets-manager/index.js';
import { clientFor } from '../../helpers/secrets-manager-clients.js';
import { findOnPath } from '../../helpers/secrets-manager-targets.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../../local/secrets-manager/main.ts', import.meta.url));

/** Environment for a Python-based AWS client: dummy credentials, no profile files from this machine. */
const awsEnv = (accessKeyId: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCESS_KEY_ID: accessKeyId,
  AWS_SECRET_ACCESS_KEY: 'local-test-dummy-key',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_PAGER: '',
});

const hasAwsCli = findOnPath('aws') !== undefined;
const python = findOnPath('python3');
const hasBoto3 =
  python !== undefined &&
  spawnSync(python, ['-c', 'import boto3'], { stdio: 'ignore', timeout: 30_000 }).status === 0;

describe('other clients against the in-process endpoint', () => {
  let sm: SecretsManagerEndpoint;
  const name = `clients/${randomUUID()}`;
  const value = '{"username":"app","password":"dummy-cli"}';

  beforeAll(async () => {
    sm = await startSecretsManagerEndpoint();
    const client = clientFor(sm);
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    client.destroy();
  });

  afterAll(async () => {
    await sm.close();
  });

  it.skipIf(!hasAwsCli)('aws CLI: get-secret-value, put-secret-value and an error', async () => {
    const aws = (...args: string[]) =>
      run('aws', ['--endpoint-url', sm.url, '--output', 'json', 'secretsmanager', ...args], {
        env: awsEnv('AKIDAWSCLI'),
        timeout: 60_000,
      });

    const got = JSON.parse((await aws('get-secret-value', '--secret-id', name)).stdout) as Record<
      string,
      unknown
    >;
    expect(got).toMatchObject({ Name: name, SecretString: value, VersionStages: ['AWSCURRENT'] });

    const put = JSON.parse(
      (
        await aws(
          'put-secret-value',
          '--secret-id',
          name,
          '--secret-string',
          'dummy-2',
          '--version-stages',
          'AWSPENDING',
        )
      ).stdout,
    ) as Record<string, unknown>;
    expect(put.VersionStages).toEqual(['AWSPENDING']);

    const missing = await aws('get-secret-value', '--secret-id', `${name}-missing`).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(missing?.code).not.toBe(0);
    expect(missing?.stderr).toContain('ResourceNotFoundException');

    expect(sm.calls.byCaller().AKIDAWSCLI).toEqual({ GetSecretValue: 2, PutSecretValue: 1 });
  });

  it.skipIf(!hasBoto3)('boto3: get_secret_value and a ResourceNotFoundException', async () => {
    const script = [
      'import json, sys, boto3',
      'c = boto3.client("secretsmanager", endpoint_url=sys.argv[1])',
      'v = c.get_secret_value(SecretId=sys.argv[2])',
      'try:',
      '    c.describe_secret(SecretId=sys.argv[2] + "-missing")',
      '    err = None',
      'except c.exceptions.ResourceNotFoundException as e:',
      '    err = e.response["Error"]["Code"]',
      'print(json.dumps({"stages": v["VersionStages"], "same": v["SecretString"] == sys.argv[3], "err": err}))',
    ].join('\n');
    const { stdout } = await run(python ?? 'python3', ['-c', script, sm.url, name, value], {
      env: awsEnv('AKIDBOTO3'),
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      stages: ['AWSCURRENT'],
      same: true,
      err: 'ResourceNotFoundException',
    });
    expect(sm.calls.byCaller().AKIDBOTO3).toEqual({ GetSecretValue: 1, DescribeSecret: 1 });
  });
});

describe('standalone endpoint process', () => {
  it('prints one line with its URL, serves the SDK and the control API, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1] && output.includes('\n')) resolve(match[1]);
        });
        child.once('exit', (code) => {
          reject(new Error(`exited with ${code} before printing its URL`));
        });
      });
      expect(output.trim().split('\n')).toHaveLength(1);

      const client = clientFor({ url, region: 'us-east-1' }, 'AKIDSTANDALONE');
      try {
        const name = `standalone/${randomUUID()}`;
        await client.send(new CreateSecretCommand({ Name: name, SecretString: 'dummy' }));
        await fetch(`${url}/_local/faults`, { method: 'PUT', body: JSON.stringify({ kind: 'throttle' }) });
        const throttled = await client
          .send(new GetSecretValueCommand({ SecretId: name }))
          .catch((e: unknown) => e);
        expect(throttled).toMatchObject({ name: 'ThrottlingException' });
        await fetch(`${url}/_local/faults`, { method: 'DELETE' });
        expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('dummy');
        const calls = (await (await fetch(`${url}/_local/calls`)).json()) as {
          byCaller: Record<string, Record<string, number>>;
        };
        expect(calls.byCaller.AKIDSTANDALONE).toEqual({ CreateSecret: 1, GetSecretValue: 2 });
      } finally {
        client.destroy();
      }

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
