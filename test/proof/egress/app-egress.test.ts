/**
 * The app as a process under the egress guard, as the drill runs its tasks: through start-up and
 * a rotation it reaches the stack's Secrets Manager endpoint and PostgreSQL, and nothing else.
 * With the EMF library's main module imported at start-up (the import emf-recorder.ts avoids),
 * the guard refuses and names the instance metadata address.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnApp, terminate, waitUntilReady, type AppProcess } from '../../../local/app-process.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../../local/embedded-stack.js';
import { rotationFunctionArn } from '../../../local/rotator/index.js';
import { EGRESS_GUARD_NODE_ARGS, egressProblems, readEgressReport } from '../../../proof/egress/index.js';

let stack: EmbeddedStack;
const reportDir = mkdtempSync(join(tmpdir(), 'app-egress-'));

beforeAll(async () => {
  stack = await startEmbeddedStack({ rotation: { strategy: 'alternating-users' } });
});

afterAll(async () => {
  await stack.stop();
});

async function guardedApp(
  name: string,
  extraNodeArgs: string[] = [],
): Promise<{ app: AppProcess; report: string }> {
  const report = join(reportDir, `${name}.jsonl`);
  const app = await spawnApp(
    {
      ...stack.env,
      CLOUDWATCH_EMF_SERVICE: 'orders-api',
      CREDENTIAL_REFRESH_SECONDS: '1',
      SHUTDOWN_DELAY_SECONDS: '0',
      EGRESS_GUARD_ALLOW: `${stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER},${stack.postgres.host}:${stack.postgres.port}`,
      EGRESS_GUARD_REPORT: report,
    },
    { nodeArgs: [...EGRESS_GUARD_NODE_ARGS, ...extraNodeArgs] },
  );
  await waitUntilReady(app, 50);
  return { app, report };
}

async function readiness(
  app: AppProcess,
): Promise<{ credentials: { versionId: string | null; username: string | null } }> {
  return (await (await fetch(`${app.url}/health/ready`)).json()) as never;
}

describe('the app under the egress guard', () => {
  it('reaches only Secrets Manager and PostgreSQL, through start-up and a rotation', async () => {
    const { app, report } = await guardedApp('rotation');
    const before = await readiness(app);
    const admin = stack.secretsManagerClient('admin');
    const { VersionId } = await admin.send(
      new RotateSecretCommand({
        SecretId: stack.appSecretId,
        RotationLambdaARN: rotationFunctionArn('alternating-users', await admin.config.region()),
      }),
    );
    await stack.rotator?.waitForRotation(VersionId ?? '');
    // The app swaps pools at its next health-check cycle (1 s here).
    await app.waitForLine(/database pool swapped/);
    const after = await readiness(app);
    expect(after.credentials.username).not.toBe(before.credentials.username);
    admin.destroy();
    expect((await terminate(app)).code).toBe(0);

    const egress = readEgressReport([report]);
    expect(egressProblems(egress, 1)).toEqual([]);
    // It saw the real connections: the endpoint's and the database's, nothing else.
    expect(Object.keys(egress.allowedByDestination).sort()).toEqual(
      [
        `127.0.0.1:${new URL(stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '').port}`,
        `${stack.postgres.host}:${stack.postgres.port}`,
      ].sort(),
    );
  });

  it('with the EMF library main module loaded at start-up, refuses and names 169.254.169.254', async () => {
    const { app, report } = await guardedApp('old-import', ['--import', 'aws-embedded-metrics']);
    await app.waitForLine(/egress guard: refused a connection to 169\.254\.169\.254:80/);
    expect((await terminate(app)).code).toBe(0);
    const egress = readEgressReport([report]);
    expect(egressProblems(egress, 1).join('\n')).toMatch(
      /outside the configured endpoints \(169\.254\.169\.254:80\)/,
    );
    expect(egress.firstRefusalStack?.join('\n')).toMatch(/aws-embedded-metrics/);
  });
});
