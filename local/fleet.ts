/**
 * The local stand-in for a deployed service: the embedded stack (PostgreSQL, the Secrets Manager
 * endpoint, the rotator as the rotation function) and N app processes as N Fargate tasks, each
 * started and ready before the next (or all at once), rotated with a strategy, stopped in order
 * (the tasks with SIGTERM as ECS does, then the stack). `npm run stack` (no tasks), the demo, the
 * drill and the bench all start what they run against here.
 */
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pTimeout from 'p-timeout';
import type { RotationStrategy } from '../rotation/public.js';
import { spawnApp, stopAll, waitUntilReady, type AppProcess } from './app-process.js';
import { startEmbeddedStack, type EmbeddedStack, type EmbeddedStackOptions } from './embedded-stack.js';
import { rotationFunctionArn } from './rotator/index.js';

/** A rotation waited for: how long it took and whether it finished. */
export interface RotationOutcome {
  versionId: string;
  /** ms since the epoch */
  requestedAt: number;
  finishedAt: number;
  ok: boolean;
  error?: string;
}

export interface FleetOptions {
  /** The stack itself: ports, PostgreSQL settings, the rotation function and its hooks. */
  stack?: EmbeddedStackOptions;
  /** Tasks started with the fleet (more with addTask()). Default none. */
  tasks?: number;
  /** Environment every task gets on top of the stack's (the app principal's, no passwords). */
  taskEnv?: Record<string, string>;
  /**
   * How one task is started, given its environment and the stack: the app's main.ts by default. The
   * drill passes the naive app, or the egress guard around either.
   */
  spawnTask?: (env: Record<string, string>, stack: EmbeddedStack) => Promise<AppProcess>;
  /** Start the first tasks together (the demo) rather than one after another, ready each (the drill). */
  together?: boolean;
  /** The readiness poll (local/app-process.ts waitUntilReady). */
  readyPollMs?: number;
}

export interface Fleet {
  stack: EmbeddedStack;
  /** Every task started so far, in order (the list grows with addTask()). */
  tasks: AppProcess[];
  /** The environment each task got: the stack's, then FleetOptions.taskEnv. */
  taskEnv: Record<string, string>;
  /** The admin principal's client (RotateSecret, reads of every version). */
  admin: SecretsManagerClient;
  /** Starts one more task; resolves once it is ready. */
  addTask(): Promise<AppProcess>;
  /** RotateSecret with the strategy's rotation function; the new version's id (no waiting). */
  requestRotation(strategy: RotationStrategy): Promise<string>;
  /** RotateSecret, then waits until the rotation finished or failed (at most ROTATION_TIMEOUT_MS). */
  rotate(strategy: RotationStrategy): Promise<RotationOutcome>;
  /** SIGTERM to every task at once (SIGKILL after 30 s); their exit codes, in order. */
  stopTasks(): Promise<(number | null)[]>;
  /** The tasks (as stopTasks()), then the stack; the tasks' exit codes. Safe to call more than once. */
  stop(): Promise<(number | null)[]>;
}

export const ROTATION_TIMEOUT_MS = 60_000;

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const stack = await startEmbeddedStack(options.stack);
  const taskEnv = { ...stack.env, ...options.taskEnv };
  const tasks: AppProcess[] = [];
  const spawn = options.spawnTask ?? ((env: Record<string, string>) => spawnApp(env));
  const start = async (): Promise<AppProcess> => {
    const task = await spawn(taskEnv, stack);
    tasks.push(task);
    await waitUntilReady(task, options.readyPollMs);
    return task;
  };
  try {
    const count = options.tasks ?? 0;
    if (options.together) await Promise.all(Array.from({ length: count }, start));
    else for (let i = 0; i < count; i++) await start();
  } catch (err) {
    for (const t of tasks) t.child.kill('SIGKILL');
    await stack.stop();
    throw err;
  }

  const admin = stack.secretsManagerClient('admin');
  const requestRotation = (strategy: RotationStrategy) => rotateSecret(admin, stack.appSecretId, strategy);
  let stopped: Promise<(number | null)[]> | undefined;
  return {
    stack,
    tasks,
    taskEnv,
    admin,
    addTask: start,
    requestRotation,
    rotate: (strategy) =>
      rotateWith(
        () => requestRotation(strategy),
        async (versionId) => {
          await stack.rotator?.waitForRotation(versionId);
        },
      ),
    stopTasks: () => stopAll(tasks),
    stop: () =>
      (stopped ??= (async () => {
        const codes = await stopAll(tasks);
        await stack.stop();
        return codes;
      })()),
  };
}

/**
 * RotateSecret as `admin`, naming the strategy's rotation function (the local endpoint runs the
 * rotator for either, an external one the function it names); the new version's id.
 */
export async function rotateSecret(
  admin: SecretsManagerClient,
  secretId: string,
  strategy: RotationStrategy,
): Promise<string> {
  const region = await admin.config.region();
  const answer = await admin.send(
    new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: rotationFunctionArn(strategy, region) }),
  );
  return answer.VersionId ?? '';
}

/**
 * One rotation, timed: `request` starts it (RotateSecret) and names the version, `waitFor` resolves
 * once that version finished. Never throws: a failure is an outcome with its error.
 */
export async function rotateWith(
  request: () => Promise<string>,
  waitFor: (versionId: string) => Promise<void>,
): Promise<RotationOutcome> {
  const requestedAt = Date.now();
  let versionId = '';
  try {
    versionId = await request();
    await pTimeout(waitFor(versionId), {
      milliseconds: ROTATION_TIMEOUT_MS,
      message: `rotation did not finish within ${ROTATION_TIMEOUT_MS} ms`,
    });
    return { versionId, requestedAt, finishedAt: Date.now(), ok: true };
  } catch (err) {
    const e = err as Error;
    return { versionId, requestedAt, finishedAt: Date.now(), ok: false, error: `${e.name}: ${e.message}` };
  }
}
