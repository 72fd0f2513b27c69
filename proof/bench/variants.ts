/**
 * The four servers the bench compares, each as its own process with the same routes
 * (app/src/http/app.ts buildApp), the same pool size and connection recycling, the same environment.
 */
import { fileURLToPath } from 'node:url';
import { spawnApp, type AppProcess } from '../../local/app-process.js';
import { spawnNaiveApp } from '../naive-app/index.js';
import type { BenchStack } from './stack.js';

export const VARIANT_NAMES = ['baseline', 'this-app', 'naive', 'wrapper'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/** What rotations are expected to do to a variant: only this app's outcome decides the verdict. */
export type RotationExpectation = 'must-pass' | 'expected-to-fail' | 'measured';

export interface VariantSpec {
  name: VariantName;
  title: string;
  description: string;
  underRotation: RotationExpectation;
}

export const VARIANTS: Record<VariantName, VariantSpec> = {
  baseline: {
    name: 'baseline',
    title: 'baseline',
    description:
      'The same Fastify app on one plain pg.Pool (proof/naive-app/plain-database.ts) with static credentials ' +
      'passed in the environment (PGUSER/PGPASSWORD, read by the bench from AWSCURRENT when it starts the ' +
      'process). No Secrets Manager client at all. The throughput reference; a rotation breaks it.',
    underRotation: 'expected-to-fail',
  },
  'this-app': {
    name: 'this-app',
    title: 'this app',
    description:
      'app/src/main.ts as shipped: credentials from Secrets Manager at run time (one DescribeSecret per ' +
      'refresh interval), the rotating pool (password callback, pool swap on a new user, refresh and ' +
      'AWSPENDING/AWSPREVIOUS fallback on a refused login).',
    underRotation: 'must-pass',
  },
  naive: {
    name: 'naive',
    title: 'naive',
    description:
      'proof/naive-app: the secret given once in the environment, as the ECS task definition `secrets` block ' +
      'does (the bench reads AWSCURRENT as the execution role when it starts the process; the process has no ' +
      'Secrets Manager client), then a plain pg.Pool with those credentials. The control: a rotation breaks it.',
    underRotation: 'expected-to-fail',
  },
  wrapper: {
    name: 'wrapper',
    title: 'AWS wrapper',
    description:
      'aws-advanced-nodejs-wrapper 2.0.1, AwsPgPoolClient with the `secretsManager` plugin as its ' +
      'documentation configures it (proof/bench/wrapper-app/): the plugin reads the secret when it opens a ' +
      'connection, caches it for the process, and reads it again once when a login is refused.',
    underRotation: 'measured',
  },
};

const BASELINE_MAIN = fileURLToPath(new URL('./baseline-app/main.ts', import.meta.url));
const WRAPPER_MAIN = fileURLToPath(new URL('./wrapper-app/main.ts', import.meta.url));

/**
 * Output lines kept per process (for the error summary and the leak scan); older ones are dropped.
 * Enough for a whole rotation run at the common rate (two access-log lines per request).
 */
const KEEP_LINES = 20_000;

export interface SpawnOptions {
  /** Options for the variant's Node (--cpu-prof …). */
  nodeArgs?: string[];
  /** Environment on top of the bench's task environment. */
  env?: Record<string, string>;
}

/**
 * One variant as its own process, in a process group of its own (local/own-group.ts): the bench's
 * Ctrl-C, its time limit and its exit stop them all with stopGroupsNow().
 */
export async function spawnVariant(
  name: VariantName,
  bench: BenchStack,
  options: SpawnOptions,
): Promise<AppProcess> {
  const env = { ...bench.taskEnv, ...options.env };
  const common = { keepLines: KEEP_LINES, ...(options.nodeArgs && { nodeArgs: options.nodeArgs }) };
  switch (name) {
    case 'baseline': {
      const c = await bench.currentCredentials();
      return spawnApp(
        {
          ...env,
          PGHOST: c.host,
          PGPORT: String(c.port),
          PGDATABASE: c.dbname,
          PGUSER: c.username,
          PGPASSWORD: c.password,
        },
        { ...common, entry: BASELINE_MAIN },
      );
    }
    case 'this-app':
      return spawnApp(env, common);
    case 'naive':
      return spawnNaiveApp(env, bench.taskSecrets, common);
    case 'wrapper':
      return spawnApp(env, { ...common, entry: WRAPPER_MAIN });
  }
}
