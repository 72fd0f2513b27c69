/**
 * The Secrets Manager implementations the conformance suite runs against:
 * - endpoint: local/secrets-manager, in-process;
 * - moto: `moto_server` on a free loopback port (mandatory when REQUIRE_MOTO=1, else skipped when
 *   `moto_server` is not on PATH);
 * - localstack: LocalStack in a container through @testcontainers/localstack, where a
 *   Docker-compatible engine answers (Docker, or podman's API service at DOCKER_HOST); mandatory
 *   when REQUIRE_CONTAINERS=1. SECRETS_MANAGER_IMAGE names another emulator image that answers
 *   LocalStack's readiness line (as in docker-compose.yml).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findFreePort } from '../../local/free-port.js';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import { containerSkipReason } from './container-engine.js';

export type TargetName = 'endpoint' | 'moto' | 'localstack';

export interface RunningTarget {
  url: string;
  stop(): Promise<void>;
  /** Only for the in-process endpoint. */
  endpoint?: SecretsManagerEndpoint;
}

export interface ConformanceTarget {
  name: TargetName;
  /** Why this target does not run here; undefined when it runs. */
  skipReason: string | undefined;
  start(): Promise<RunningTarget>;
}

export const LOCALSTACK_IMAGE = 'localstack/localstack:4.14.0';

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const endpointTarget: ConformanceTarget = {
  name: 'endpoint',
  skipReason: undefined,
  async start() {
    const endpoint = await startSecretsManagerEndpoint();
    return { url: endpoint.url, endpoint, stop: () => endpoint.close() };
  },
};

/** Starts moto_server and resolves once it has said it is listening and answered one request. */
export async function startMotoServer(): Promise<RunningTarget> {
  const executable = findOnPath('moto_server');
  if (!executable) throw new Error('moto_server is not on PATH');
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  // Own process group, so stopping it also stops anything the pyenv shim started.
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const stopGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = (): void => {
    stopGroup('SIGKILL');
  };
  process.once('exit', onExit);

  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    stopGroup('SIGTERM');
    const timer = setTimeout(() => {
      stopGroup('SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`moto_server did not start within 30 s:\n${output}`));
      }, 30_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes(`Running on ${url}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`moto_server exited (${signal ?? code}) before listening:\n${output}`));
      });
    });
    // Listening is announced before the first request is served; make sure one is.
    const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
  } catch (error) {
    await stop();
    throw error;
  }
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return { url, stop };
}

const motoRequired = process.env.REQUIRE_MOTO === '1';

const motoTarget: ConformanceTarget = {
  name: 'moto',
  skipReason:
    motoRequired || findOnPath('moto_server')
      ? undefined
      : 'moto_server is not on PATH (set REQUIRE_MOTO=1 to make this run mandatory)',
  start: startMotoServer,
};

const localstackTarget: ConformanceTarget = {
  name: 'localstack',
  skipReason: await containerSkipReason(),
  async start() {
    // Loaded only here: testcontainers is heavy and wants a Docker engine.
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    const container = await new LocalstackContainer(process.env.SECRETS_MANAGER_IMAGE || LOCALSTACK_IMAGE)
      .withEnvironment({ SERVICES: 'secretsmanager' })
      .start();
    return {
      url: container.getConnectionUri(),
      stop: async () => {
        await container.stop();
      },
    };
  },
};

export const conformanceTargets: readonly ConformanceTarget[] = [
  endpointTarget,
  motoTarget,
  localstackTarget,
];
