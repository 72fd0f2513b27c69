/**
 * The one embedded stack every variant runs against (local/fleet.ts, with no tasks of its own: each
 * phase starts and stops the variant it measures): PostgreSQL with SCRAM, the local Secrets Manager
 * endpoint with its call log, and the rotator as the rotation function. RotateSecret names the
 * strategy's function (local/fleet.ts), so one stack serves both strategies.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  parseSecret,
  type DbCredentials,
  runMigrations,
  createLogger,
  SecretScrubber,
} from '../../app/src/index.js';
import { createLogger as createFunctionLogger, type RotationStrategy } from '../../rotation/public.js';
import { LOCAL_PRINCIPALS, type EmbeddedStack } from '../../local/embedded-stack.js';
import { startFleet, type RotationOutcome } from '../../local/fleet.js';
import {
  appRoles,
  collectPasswords,
  connectLocal,
  loadTestTaskEnv,
  masterClient,
  type SecretsAccess,
} from '../drill/index.js';
import { CONNECTION_LOG_SETTINGS } from './connection-log.js';
import { watchConnections, type ConnectionWatch } from './pg-connections.js';
import type { SecretsBlock } from '../naive-app/index.js';

export interface BenchStack {
  stack: EmbeddedStack;
  admin: SecretsManagerClient;
  /** The environment every app process gets: the drill's task environment, plus the bench's own. */
  taskEnv: Record<string, string>;
  /** Access key id the app processes call Secrets Manager with (their caller in the call log). */
  appCaller: string;
  /** The rotation function's log lines (scanned for passwords, never printed). */
  functionLines: string[];
  stackLines: string[];
  /** AWSCURRENT of the app secret, read as the admin (the baseline's static credentials). */
  currentCredentials(): Promise<DbCredentials>;
  /** Where the naive app's secret is read from before it starts, as ECS's `secrets` block does. */
  taskSecrets: SecretsBlock;
  /** RotateSecret with the strategy's function; resolves once the rotation finished or failed. */
  rotate(strategy: RotationStrategy): Promise<RotationOutcome>;
  postgresVersion(): Promise<string>;
  /** The roles the app logs in as (alternating users: the user and its clone). */
  appRoles: string[];
  /** Starts sampling the app roles' connections (pg_stat_activity, as the master user). */
  watchConnections(): ConnectionWatch;
  /** Every password of the run (all versions of the app secret, and the master): for the leak scan. */
  passwords(): Promise<Set<string>>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: {
  refreshSeconds: number;
  maxLifetimeSeconds: number;
  say: (line: string) => void;
}): Promise<BenchStack> {
  const stackLines: string[] = [];
  const functionLines: string[] = [];
  const fleet = await startFleet({
    stack: {
      log: (line) => stackLines.push(line),
      // Each backend's start and end in the server log, exactly: connection-log.ts.
      postgresSettings: CONNECTION_LOG_SETTINGS,
      rotation: {
        strategy: 'alternating-users',
        retry: { attempts: 3, delayMs: 500 },
        functionLogger: createFunctionLogger({ level: 'info', write: (line) => functionLines.push(line) }),
      },
    },
    taskEnv: loadTestTaskEnv(options),
  });
  const { stack, admin, taskEnv } = fleet;
  try {
    const currentCredentials = async (): Promise<DbCredentials> => {
      const out = await admin.send(new GetSecretValueCommand({ SecretId: stack.appSecretId }));
      return parseSecret(out.SecretString, {}).credentials;
    };
    // Applied once, before any variant: the wrapper variant cannot run node-pg-migrate itself.
    const appClient = await connectLocal(await currentCredentials());
    try {
      await runMigrations({
        client: appClient,
        ownerRole: stack.bootstrap.ownerRole,
        schema: stack.bootstrap.schema,
        logger: createLogger({ level: 'silent', scrubber: new SecretScrubber() }),
      });
    } finally {
      await appClient.end();
    }

    // One master connection for the whole run: it samples pg_stat_activity, never serves the load.
    const secrets: SecretsAccess = {
      admin,
      secretId: stack.appSecretId,
      masterSecretId: stack.masterSecretId,
    };
    const master = await masterClient(secrets);
    return {
      stack,
      admin,
      taskEnv,
      appCaller: LOCAL_PRINCIPALS.app.accessKeyId,
      functionLines,
      stackLines,
      currentCredentials,
      taskSecrets: { client: stack.secretsManagerClient('execution'), secretId: stack.appSecretId },
      rotate: (strategy) => fleet.rotate(strategy),
      async postgresVersion() {
        const app = await connectLocal(await currentCredentials());
        try {
          const { rows } = await app.query<{ server_version: string }>('SHOW server_version');
          return rows[0]?.server_version ?? 'unknown';
        } finally {
          await app.end();
        }
      },
      appRoles: appRoles(master.appUser),
      watchConnections: () => watchConnections(master.client, appRoles(master.appUser)),
      passwords: () => collectPasswords(secrets),
      async stop() {
        await master.client.end().catch(() => undefined);
        await fleet.stop();
      },
    };
  } catch (err) {
    await fleet.stop();
    throw err;
  }
}
