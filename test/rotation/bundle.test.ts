/**
 * The Lambda artifact: `npm run build:rotation` bundles rotation/ into one ESM file, which runs in a
 * fresh Node process with nothing but its environment, exactly as Lambda starts it: the four steps
 * of a real alternating-users rotation against the local endpoint and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import { startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { createFixture, everyPassword, logsIn, secretValue, stagesOf } from '../helpers/rotation-fixtures.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let workDir: string;
let bundle: string;
let endpoint: SecretsManagerEndpoint;
let postgres: RunningPostgres;
let sm: SecretsManagerClient;

const credentials = { accessKeyId: 'AKIDBUNDLEDFUNCTION', secretAccessKey: 'bundle-test-dummy-key' };

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'rotation-bundle-'));
  bundle = join(workDir, 'index.mjs');
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts['build:rotation'] ?? '';
  expect(script).toContain('--outfile=dist/rotation/index.mjs');
  await execFileAsync(
    'sh',
    ['-c', script.replace('--outfile=dist/rotation/index.mjs', `--outfile=${bundle}`)],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        PATH: `${join(repoRoot, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`,
      },
    },
  );
  [endpoint, postgres] = await Promise.all([startSecretsManagerEndpoint(), startTestPostgres()]);
  // RotateSecret reserves the AWSPENDING version; the bundled function, run below, does the rest.
  endpoint.setRotationHandler(() => Promise.resolve());
  sm = new SecretsManagerClient({ endpoint: endpoint.url, region: endpoint.region, credentials });
}, 120_000);

afterAll(async () => {
  sm.destroy();
  await Promise.all([endpoint.close(), postgres.stop()]);
  await rm(workDir, { recursive: true, force: true });
});

/** Imports the bundle (which sits outside the repository) in a new Node process and invokes `handler` once per step, as Lambda would. */
async function invokeBundle(
  env: Record<string, string>,
  events: Record<string, string>[],
): Promise<{ results: unknown[]; stdout: string; stderr: string }> {
  const program = `
    const { handler } = await import(process.argv[1]);
    for (const event of JSON.parse(process.argv[2])) {
      try {
        console.log('RESULT ' + JSON.stringify(await handler(event)));
      } catch (error) {
        console.log('RESULT ' + JSON.stringify({ error: error.name, message: error.message }));
      }
    }`;
  const { stdout, stderr } = await execFileAsync(
    process.execPath,
    ['--input-type=module', '-e', program, pathToFileURL(bundle).href, JSON.stringify(events)],
    // From the bundle's own temporary directory: no node_modules to fall back on.
    { cwd: workDir, env: { PATH: process.env.PATH ?? '', ...env } },
  );
  const results = stdout
    .split('\n')
    .filter((line) => line.startsWith('RESULT '))
    .map((line) => JSON.parse(line.slice('RESULT '.length)) as unknown);
  return { results, stdout, stderr };
}

describe('the bundled rotation function (dist/rotation/index.mjs)', () => {
  it('is one ESM file of moderate size', async () => {
    const text = await readFile(bundle, 'utf8');
    expect(text.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
    expect(text).toMatch(/export\{\w+ as handler\};?\s*(\/\/# sourceMappingURL=index\.mjs\.map\s*)?$/);
    const { size } = await stat(bundle);
    expect(size).toBeLessThan(2 * 1024 * 1024);
  });

  it('runs a rotation in a fresh Node process configured by its environment only', async () => {
    const fx = await createFixture({
      sm,
      postgres,
      tag: 'bundle',
      database: 'rot_bundle',
      masterSecretId: 'test/bundle/master',
    });
    const token = randomUUID();
    await sm.send(new RotateSecretCommand({ SecretId: fx.secretArn, ClientRequestToken: token }));
    const steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
    const { results, stdout } = await invokeBundle(
      {
        ROTATION_STRATEGY: 'alternating-users',
        DB_SSL: 'disable',
        DB_OWNER_ROLE: fx.ownerRole,
        SECRETS_MANAGER_ENDPOINT: endpoint.url,
        AWS_REGION: endpoint.region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
      steps.map((Step) => ({ SecretId: fx.secretArn, ClientRequestToken: token, Step })),
    );
    expect(results).toEqual([
      { step: 'createSecret', outcome: 'created' },
      { step: 'setSecret', outcome: 'clone-created' },
      { step: 'testSecret', outcome: 'tested' },
      { step: 'finishSecret', outcome: 'finished' },
    ]);
    expect((await stagesOf(sm, fx.secretArn))[token]).toEqual(['AWSCURRENT']);
    const current = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
    expect(current.username).toBe(fx.cloneUser);
    expect(await logsIn(postgres, current.username, current.password, fx.database)).toBe(true);

    // Structured JSON log lines, one per event at least, and no password in any of them.
    const logLines = stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.map((line) => (JSON.parse(line) as { message: string }).message)).toContain('step done');
    for (const password of [...(await everyPassword(sm)), postgres.superuserPassword]) {
      expect(stdout.includes(password)).toBe(false);
    }
  });

  it('names the missing variable when its environment is incomplete', async () => {
    const { results } = await invokeBundle({ DB_SSL: 'prefer' }, [
      { SecretId: 'x', ClientRequestToken: 'y', Step: 'createSecret' },
    ]);
    expect(results).toEqual([
      {
        error: 'RotationConfigError',
        message:
          'Invalid rotation function configuration:\n' +
          '  - ROTATION_STRATEGY is required (one of single-user, alternating-users)\n' +
          '  - DB_SSL must be one of verify-full, require, disable',
      },
    ]);
  });
});
