/**
 * The promise, measured: the app (startService) serves concurrent requests while the rotator
 * performs real rotations of its PostgreSQL credentials, and not one request fails.
 *
 * - alternating users, CREDENTIAL_REFRESH_SECONDS=1: each rotation is followed by the app's pool
 *   swap to the new user (awaited through the pool's 'swap' event) before the next one changes the
 *   old user's password;
 * - single user, CREDENTIAL_REFRESH_SECONDS=1: the app adopts each new AWSCURRENT;
 * - single user, refresh effectively off: the app only learns through authentication failures,
 *   because its connections are killed inside the single-user window (after setSecret: the
 *   database has the new password, AWSCURRENT still the old one) and again after finishSecret.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/src/config.js';
import type { ActiveCredentials, CredentialStore } from '../../app/src/credentials/credential-store.js';
import { startService, type RunningService } from '../../app/src/service.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.js';
import type { RotationReport, StepInvocation } from '../../local/rotator/index.js';
import type { RotationStrategy } from '../../rotation/config.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startSteadyLoad, type LoadResult } from '../helpers/steady-load.js';
import { asSuperuser, everyPassword, secretValue } from '../helpers/rotation-fixtures.js';

let stack: EmbeddedStack;
let admin: SecretsManagerClient;
let afterStep: ((invocation: StepInvocation) => void | Promise<void>) | undefined;
const appLogs: string[] = [];
const figures: { variant: string; load: LoadResult; reports: RotationReport[] }[] = [];

beforeAll(async () => {
  stack = await startEmbeddedStack({
    rotation: { strategy: 'alternating-users', onStep: (invocation) => afterStep?.(invocation) },
  });
  admin = stack.secretsManagerClient('admin');
});

afterAll(async () => {
  try {
    const passwords = await everyPassword(admin);
    const text = appLogs.join('\n');
    expect([...passwords].filter((p) => text.includes(p)).length, 'passwords in the app log').toBe(0);
    for (const { variant, load, reports } of figures) {
      const perStep = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((step) => {
        const ms = reports.map((r) => r.steps.find((s) => s.step === step)?.durationMs ?? 0);
        return `${step} ${Math.min(...ms)}-${Math.max(...ms)} ms`;
      });
      console.log(
        `[under load] ${variant}: ${load.requests} requests, ${load.failures.length} failed, ` +
          `${reports.length} rotations (${perStep.join(', ')}; rotation ${reports.map((r) => r.durationMs).join('/')} ms)`,
      );
    }
  } finally {
    await stack.stop();
  }
});

async function startApp(refreshSeconds: number): Promise<RunningService> {
  const logs = captureLogs('info');
  const service = await startService({
    config: loadConfig({
      ...stack.env,
      HOST: '127.0.0.1',
      PORT: '0',
      CREDENTIAL_REFRESH_SECONDS: String(refreshSeconds),
      LOG_LEVEL: 'info',
      // The load is closed-model, so a faster Node sends more writes: the per-client write limit
      // would answer 429s that have nothing to do with rotation.
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
    }),
    logger: logs.logger,
    scrubber: logs.scrubber,
    secretsManager: stack.secretsManagerClient('app'),
  });
  const shutdown = service.shutdown.bind(service);
  return Object.assign(service, {
    shutdown: async (delaySeconds: number) => {
      await shutdown(delaySeconds);
      appLogs.push(...logs.lines);
    },
  });
}

/** Resolves once the app uses `versionId` (with `stage`, when given): checked now, then on each change. */
function whenActive(store: CredentialStore, versionId: string, stage?: string): Promise<ActiveCredentials> {
  const matches = (a: ActiveCredentials) =>
    a.versionId === versionId && (stage === undefined || a.stage === stage);
  if (matches(store.active)) return Promise.resolve(store.active);
  return new Promise((resolve) => {
    const onChange = (next: ActiveCredentials) => {
      if (!matches(next)) return;
      store.off('change', onChange);
      resolve(next);
    };
    store.on('change', onChange);
  });
}

async function killBackends(username: string): Promise<number> {
  return asSuperuser(stack.postgres, 'postgres', async (client) => {
    const result = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
      [username],
    );
    return result.rowCount ?? 0;
  });
}

const rotate = (strategy: RotationStrategy) => {
  if (!stack.rotator) throw new Error('the stack has no rotator');
  return stack.rotator.rotate(stack.appSecretId, { strategy });
};

describe('rotations under load', () => {
  it('alternating users, 3 rotations: every request served, the pool swaps user each time', async () => {
    const service = await startApp(1);
    const load = startSteadyLoad(service.url);
    const reports: RotationReport[] = [];
    const users: string[] = [];
    try {
      await load.waitForRequests(100);
      for (let i = 0; i < 3; i++) {
        const swapped = new Promise<{ to: string }>((resolve) => service.pool.once('swap', resolve));
        const report = await rotate('alternating-users');
        reports.push(report);
        const swap = await swapped;
        users.push(swap.to);
        await whenActive(service.store, report.versionId, 'AWSCURRENT');
        await load.waitForRequests(100);
      }
    } finally {
      const result = await load.stop();
      figures.push({ variant: 'alternating users, refresh 1 s', load: result, reports });
      await service.shutdown(0);
      expect(result.failures).toEqual([]);
      expect(result.requests).toBeGreaterThan(400);
    }
    const first = users[0] ?? '';
    const other = first === 'app' ? 'app_clone' : 'app';
    expect(users).toEqual([first, other, first]);
  });

  it('single user, 3 rotations: every request served, the app follows AWSCURRENT', async () => {
    const service = await startApp(1);
    const load = startSteadyLoad(service.url);
    const reports: RotationReport[] = [];
    try {
      await load.waitForRequests(100);
      for (let i = 0; i < 3; i++) {
        const report = await rotate('single-user');
        reports.push(report);
        await whenActive(service.store, report.versionId, 'AWSCURRENT');
        await load.waitForRequests(100);
      }
    } finally {
      const result = await load.stop();
      figures.push({ variant: 'single user, refresh 1 s', load: result, reports });
      await service.shutdown(0);
      expect(result.failures).toEqual([]);
    }
  });

  it('single user, refresh off, connections killed in the window and after: the app learns through auth failures', async () => {
    const service = await startApp(3600);
    const load = startSteadyLoad(service.url);
    const reports: RotationReport[] = [];
    const stagesSeen: string[] = [];
    service.store.on('change', (next) => stagesSeen.push(next.stage));
    const { username } = await secretValue(admin, stack.appSecretId, 'AWSCURRENT');
    let killed = 0;
    afterStep = async ({ step, errorType }) => {
      if (step !== 'setSecret' || errorType !== undefined) return;
      // The single-user window: the database has the new password, AWSCURRENT still has the old one.
      killed += await killBackends(username);
      await load.waitForRequests(100);
    };
    try {
      await load.waitForRequests(100);
      for (let i = 0; i < 3; i++) {
        const report = await rotate('single-user');
        reports.push(report);
        killed += await killBackends(username);
        await load.waitForRequests(100);
        expect(service.store.active.versionId).toBe(report.versionId);
      }
    } finally {
      afterStep = undefined;
      const result = await load.stop();
      figures.push({ variant: 'single user, refresh off, backends killed', load: result, reports });
      await service.shutdown(0);
      expect(result.failures).toEqual([]);
    }
    expect(killed).toBeGreaterThan(0);
    // Adopted in the window from AWSPENDING: the path a rotation takes when AWSCURRENT is stale.
    expect(stagesSeen).toContain('AWSPENDING');
  });
});
