/**
 * What the drill runs against: the embedded stack with N app processes it starts itself, or
 * already-running tasks and a local Secrets Manager endpoint given by the environment.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../rotation/public.js';
import { spawnApp, type AppProcess } from '../../local/app-process.js';
import type { EmbeddedStack, EmbeddedStackOptions } from '../../local/embedded-stack.js';
import { rotateSecret, rotateWith, ROTATION_TIMEOUT_MS, startFleet } from '../../local/fleet.js';
import { spawnNaiveApp, type SecretsBlock } from '../naive-app/index.js';
import { EGRESS_GUARD_NODE_ARGS, readEgressReport, type EgressReport } from '../egress/index.js';
import type { StepInvocation } from '../../local/rotator/index.js';
import type { DrillOptions, RotationOutcome, SecretsAccess, StepEvent } from './drill-types.js';

export type { RotationOutcome, StepEvent } from './drill-types.js';

export interface CapturedLog {
  source: string;
  lines: string[];
}

export interface DrillEnvironment {
  mode: 'embedded' | 'external';
  targetUrls: string[];
  tasks: AppProcess[];
  admin: SecretsManagerClient;
  secretId: string;
  masterSecretId: string | undefined;
  schema: string;
  stepEvents: StepEvent[];
  /** Log lines the drill captured (stack, rotation function, tasks): scanned for passwords. */
  logs(): CapturedLog[];
  /** Embedded mode: what the egress guard saw in the tasks the drill started (null otherwise). */
  egress(): (EgressReport & { tasksStarted: number }) | null;
  /** RotateSecret as the admin principal; resolves once the rotation finished or failed (≤ 60 s). */
  rotate(): Promise<RotationOutcome>;
  /** External mode: step timings from the endpoint's call log. */
  collectSteps(outcomes: readonly RotationOutcome[]): Promise<void>;
  /** caller → operation → count, from the endpoint's call log (when it has one). */
  callsByCaller(): Promise<Record<string, Record<string, number>> | undefined>;
  /** SIGTERM to every started task; their exit codes (SIGKILL after 30 s). */
  stopTasks(): Promise<(number | null)[]>;
  stop(): Promise<void>;
  /** Embedded mode: what fault modes act on. */
  embedded?: {
    stack: EmbeddedStack;
    /** Starts one more task with the same environment, ready when it resolves. */
    spawnTask(): Promise<AppProcess>;
    setStepHook(hook: ((step: StepInvocation) => Promise<void>) | undefined): void;
  };
}

export async function prepareEnvironment(
  options: DrillOptions,
  say: (line: string) => void,
  /** Extra environment for the tasks (a fault mode's). */
  taskEnv: Record<string, string> = {},
): Promise<DrillEnvironment> {
  return options.targetUrls.length > 0 ? external(options, say) : embedded(options, say, taskEnv);
}

async function embedded(
  options: DrillOptions,
  say: (line: string) => void,
  taskEnv: Record<string, string>,
): Promise<DrillEnvironment> {
  const stackLines: string[] = [];
  const functionLines: string[] = [];
  const stepEvents: StepEvent[] = [];
  let stepHook: ((step: StepInvocation) => Promise<void>) | undefined;
  const stackOptions: EmbeddedStackOptions = {
    // DDL in the server log: every ALTER ROLE … PASSWORD is there for the hygiene scan to check.
    logStatements: true,
    ...(options.maxConnections !== undefined && {
      postgresSettings: { max_connections: String(options.maxConnections) },
    }),
    log: (line) => {
      stackLines.push(line);
      if (!line.startsWith('bootstrap:') && !line.startsWith('rotation:')) say(line);
    },
    rotation: {
      strategy: options.strategy,
      retry: { attempts: 3, delayMs: 500 },
      functionLogger: createLogger({ level: 'info', write: (line) => functionLines.push(line) }),
      onStep: (s) => {
        stepEvents.push({
          versionId: s.versionId,
          step: s.step,
          attempt: s.attempt,
          startedAt: s.startedAt.getTime(),
          durationMs: s.durationMs,
          ok: s.errorType === undefined,
          ...(s.errorType !== undefined && { errorType: s.errorType }),
        });
        return stepHook?.(s);
      },
    },
  };
  const targetUrls: string[] = [];
  // Each task runs under the egress guard: it may reach the stack's Secrets Manager endpoint and
  // PostgreSQL, and nothing else (proof/egress).
  const egressDir = mkdtempSync(join(tmpdir(), 'drill-egress-'));
  const egressFiles: string[] = [];
  let taskSecrets: SecretsBlock | undefined;
  const spawnTask = async (env: Record<string, string>, stack: EmbeddedStack): Promise<AppProcess> => {
    const reportFile = join(egressDir, `task${egressFiles.length + 1}.jsonl`);
    egressFiles.push(reportFile);
    const guarded = {
      ...env,
      EGRESS_GUARD_ALLOW: `${stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER},${stack.postgres.host}:${stack.postgres.port}`,
      EGRESS_GUARD_REPORT: reportFile,
    };
    const spawnOptions = { nodeArgs: EGRESS_GUARD_NODE_ARGS };
    // The naive app gets its secret the way ECS injects it: read before the task starts.
    taskSecrets ??= { client: stack.secretsManagerClient('execution'), secretId: stack.appSecretId };
    const task =
      options.app === 'naive'
        ? await spawnNaiveApp(guarded, taskSecrets, spawnOptions)
        : await spawnApp(guarded, spawnOptions);
    targetUrls.push(task.url);
    return task;
  };
  // One task at a time: they migrate under an advisory lock anyway, and a cold start is CPU-heavy.
  const fleet = await startFleet({
    stack: stackOptions,
    tasks: options.tasks,
    taskEnv: {
      ...loadTestTaskEnv(options),
      // The tasks write their CloudWatch EMF records too, so the leak scan reads those as well.
      CLOUDWATCH_EMF_SERVICE: 'orders-api',
      ...taskEnv,
      // --pool-max wins over a fault's own pool size.
      ...(options.poolMax !== undefined && { DB_POOL_MAX: String(options.poolMax) }),
    },
    spawnTask,
  });
  const { stack, tasks, admin } = fleet;
  return {
    mode: 'embedded',
    targetUrls,
    tasks,
    admin,
    secretId: stack.appSecretId,
    masterSecretId: stack.masterSecretId,
    schema: stack.bootstrap.schema,
    stepEvents,
    logs: () => [
      { source: 'stack', lines: stackLines },
      { source: 'rotation-function', lines: functionLines },
      { source: 'postgres-server', lines: readLines(stack.postgres.logFile) },
      {
        source: 'secrets-manager-endpoint',
        lines: stack.secretsManager.calls.list().map((c) => JSON.stringify(c)),
      },
      ...tasks.map((t, i) => ({ source: `task${i + 1}`, lines: t.lines })),
    ],
    egress: () => ({ ...readEgressReport(egressFiles), tasksStarted: egressFiles.length }),
    rotate: () => fleet.rotate(options.strategy),
    collectSteps: () => Promise.resolve(),
    callsByCaller: () => Promise.resolve(stack.secretsManager.calls.byCaller()),
    stopTasks: () => fleet.stopTasks(),
    stop: async () => {
      await fleet.stop();
    },
    embedded: {
      stack,
      spawnTask: () => fleet.addTask(),
      setStepHook: (hook) => {
        stepHook = hook;
      },
    },
  };
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function external(options: DrillOptions, say: (line: string) => void): Promise<DrillEnvironment> {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '';
  const admin = new SecretsManagerClient({});
  const secretId = options.secretId ?? '';
  const stepEvents: StepEvent[] = [];
  say(`targeting ${options.targetUrls.join(', ')}; Secrets Manager ${endpoint}, secret ${secretId}`);
  const control = async (path: string): Promise<unknown> => {
    const res = await fetch(new URL(path, endpoint), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json();
  };
  return Promise.resolve({
    mode: 'external',
    targetUrls: options.targetUrls,
    tasks: [],
    admin,
    secretId,
    masterSecretId: options.masterSecretId,
    schema: process.env.DB_SCHEMA ?? 'app',
    stepEvents,
    logs: () => [],
    egress: () => null,
    rotate: () =>
      rotateWith(
        () => rotateSecret(admin, secretId, options.strategy),
        async (versionId) => {
          const deadline = Date.now() + ROTATION_TIMEOUT_MS;
          while (Date.now() < deadline) {
            const d = await admin.send(new DescribeSecretCommand({ SecretId: secretId }));
            if (d.VersionIdsToStages?.[versionId]?.includes('AWSCURRENT')) return;
            await new Promise((r) => setTimeout(r, 200));
          }
          throw new Error(`version ${versionId} did not become AWSCURRENT within ${ROTATION_TIMEOUT_MS} ms`);
        },
      ),
    async collectSteps(outcomes) {
      let calls: {
        time: string;
        operation: string;
        outcome: string;
        errorType?: string;
        durationMs: number;
      }[];
      try {
        ({ calls } = (await control('/_local/calls?caller=secretsmanager')) as { calls: typeof calls });
      } catch {
        say('the endpoint has no /_local/calls: rotation windows are RotateSecret … AWSCURRENT moved');
        return;
      }
      for (const c of calls) {
        const step = /^InvokeRotationHandler\.(\w+)$/.exec(c.operation)?.[1];
        if (step === undefined) continue;
        const at = Date.parse(c.time);
        const owner = outcomes.find((o) => at >= o.requestedAt - 1000 && at <= o.finishedAt + 1000);
        if (!owner) continue;
        stepEvents.push({
          versionId: owner.versionId,
          step,
          attempt: 0,
          startedAt: at,
          durationMs: c.durationMs,
          ok: c.outcome === 'ok',
          ...(c.errorType !== undefined && { errorType: c.errorType }),
        });
      }
    },
    async callsByCaller() {
      try {
        return ((await control('/_local/calls')) as { byCaller: Record<string, Record<string, number>> })
          .byCaller;
      } catch {
        return undefined;
      }
    },
    stopTasks: () => Promise.resolve([]),
    stop: () => {
      admin.destroy();
      return Promise.resolve();
    },
  });
}

/** Every password that existed during the run: all versions of the app secret (deprecated ones too) and the master. */
export async function collectPasswords(env: SecretsAccess): Promise<Set<string>> {
  const passwords = new Set<string>();
  const add = (secretString: string | undefined) => {
    if (secretString === undefined) return;
    try {
      const p = (JSON.parse(secretString) as { password?: unknown }).password;
      if (typeof p === 'string' && p.length > 0) passwords.add(p);
    } catch {
      // not JSON: nothing to learn
    }
  };
  const versions = await env.admin.send(
    new ListSecretVersionIdsCommand({ SecretId: env.secretId, IncludeDeprecated: true }),
  );
  for (const v of versions.Versions ?? []) {
    if (v.VersionId === undefined) continue;
    const value = await env.admin
      .send(new GetSecretValueCommand({ SecretId: env.secretId, VersionId: v.VersionId }))
      .catch(() => undefined);
    add(value?.SecretString);
  }
  if (env.masterSecretId !== undefined) {
    const master = await env.admin
      .send(new GetSecretValueCommand({ SecretId: env.masterSecretId }))
      .catch(() => undefined);
    add(master?.SecretString);
  }
  return passwords;
}

/**
 * What the drill and the bench give every app process on top of the stack's environment: their
 * refresh and max-lifetime settings, no shutdown delay, info logs (the leak scan reads them), and
 * the write rate limit kept in the path but never binding (the load comes from one address).
 */
export function loadTestTaskEnv(options: {
  refreshSeconds: number;
  maxLifetimeSeconds: number;
}): Record<string, string> {
  return {
    CREDENTIAL_REFRESH_SECONDS: String(options.refreshSeconds),
    DB_POOL_MAX_LIFETIME_SECONDS: String(options.maxLifetimeSeconds),
    SHUTDOWN_DELAY_SECONDS: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
  };
}
