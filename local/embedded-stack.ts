/**
 * The embedded stack, in-process: a private PostgreSQL (SCRAM only), the local Secrets Manager
 * endpoint, and the database bootstrap (roles, schema, master and app secrets).
 * `npm run stack` runs it as a process; tests, the drill and the demo start it with
 * startEmbeddedStack().
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  bootstrapDatabase,
  DEFAULT_APP_SECRET_NAME,
  DEFAULT_MASTER_SECRET_ID,
  type BootstrapOptions,
  type BootstrapResult,
} from '../db-bootstrap/index.js';
import { startEmbeddedPostgres, type RunningEmbeddedPostgres } from './postgres/index.js';
import { attachStackRotator, type Rotator, type StackRotationOptions } from './rotator/index.js';
import { startSecretsManagerEndpoint, type SecretsManagerEndpoint } from './secrets-manager/index.js';

export interface LocalPrincipal {
  accessKeyId: string;
  /** Dummy: the local endpoint does not verify signatures, it only tells callers apart. */
  secretAccessKey: string;
}

/** One access key id per principal, so the endpoint's call log shows who called what. */
export const LOCAL_PRINCIPALS = {
  /** The API service (its task role on AWS). */
  app: { accessKeyId: 'AKIALOCALAPP00000001', secretAccessKey: 'local-dummy-app-key' },
  /** The rotation function (its Lambda execution role on AWS). */
  rotator: { accessKeyId: 'AKIALOCALROTATOR0001', secretAccessKey: 'local-dummy-rotator-key' },
  /** The ECS agent reading a task's `secrets` block before the task starts (the task execution role on AWS). */
  execution: { accessKeyId: 'AKIALOCALEXECUTION01', secretAccessKey: 'local-dummy-execution-key' },
  /** Bootstrap and operators (the deploying principal on AWS). */
  admin: { accessKeyId: 'AKIALOCALADMIN000001', secretAccessKey: 'local-dummy-admin-key' },
} as const satisfies Record<string, LocalPrincipal>;

export type LocalPrincipalName = keyof typeof LOCAL_PRINCIPALS;

export interface EmbeddedStackOptions {
  /** PostgreSQL port on 127.0.0.1; free port by default. */
  pgPort?: number;
  /** Secrets Manager endpoint port on 127.0.0.1; free port by default. */
  smPort?: number;
  /** Default us-east-1. */
  region?: string;
  /** `log_statement=ddl` in the PostgreSQL log. */
  logStatements?: boolean;
  /** Keep the PostgreSQL log at this path (it is removed with the data otherwise). */
  postgresLogFile?: string;
  /** Extra PostgreSQL settings. */
  postgresSettings?: Record<string, string>;
  /** Names for the database objects and secrets; the bootstrap's defaults otherwise. */
  names?: Pick<
    BootstrapOptions,
    'database' | 'schema' | 'ownerRole' | 'appUser' | 'masterSecretId' | 'appSecretName'
  >;
  /** Progress lines (never secret). */
  log?: (line: string) => void;
  /**
   * Registers the rotator (local/rotator) as the endpoint's rotation function, with the rotator
   * principal's client: RotateSecret then rotates for real. Off unless given.
   */
  rotation?: StackRotationOptions;
}

export interface EmbeddedStack {
  postgres: RunningEmbeddedPostgres;
  secretsManager: SecretsManagerEndpoint;
  bootstrap: BootstrapResult;
  /** Environment for an app process (the app principal): no passwords in it. */
  env: Record<string, string>;
  /** Secrets Manager ids, for DB_SECRET_ID-style settings. */
  masterSecretId: string;
  appSecretId: string;
  /** An SDK client for the local endpoint as one of the local principals (admin by default). */
  secretsManagerClient(principal?: LocalPrincipalName): SecretsManagerClient;
  /** The registered rotation function, when `rotation` was given. */
  rotator?: Rotator;
  /** Stops everything and removes the temporary data. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const log = options.log ?? ((): void => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the embedded stack did not stop cleanly');
  };

  try {
    const postgres = await startEmbeddedPostgres({
      ...(options.pgPort !== undefined && { port: options.pgPort }),
      ...(options.logStatements !== undefined && { logStatements: options.logStatements }),
      ...(options.postgresLogFile !== undefined && { logFile: options.postgresLogFile }),
      ...(options.postgresSettings !== undefined && { settings: options.postgresSettings }),
    });
    cleanups.push(() => postgres.stop());
    log(`postgres listening on ${postgres.host}:${postgres.port} (data ${postgres.baseDir})`);

    const secretsManager = await startSecretsManagerEndpoint({
      host: '127.0.0.1',
      ...(options.smPort !== undefined && { port: options.smPort }),
      ...(options.region !== undefined && { region: options.region }),
    });
    cleanups.push(() => secretsManager.close());
    log(`secrets manager endpoint listening on ${secretsManager.url}`);

    const clients: SecretsManagerClient[] = [];
    cleanups.push(() => {
      for (const client of clients.splice(0)) client.destroy();
      return Promise.resolve();
    });
    const secretsManagerClient = (principal: LocalPrincipalName = 'admin'): SecretsManagerClient => {
      const client = new SecretsManagerClient({
        endpoint: secretsManager.url,
        region: secretsManager.region,
        credentials: { ...LOCAL_PRINCIPALS[principal] },
      });
      clients.push(client);
      return client;
    };

    const masterSecretId = options.names?.masterSecretId ?? DEFAULT_MASTER_SECRET_ID;
    const appSecretId = options.names?.appSecretName ?? DEFAULT_APP_SECRET_NAME;
    const bootstrap = await bootstrapDatabase({
      ...options.names,
      secretsManager: secretsManagerClient('admin'),
      connection: {
        host: postgres.host,
        port: postgres.port,
        maintenanceDatabase: postgres.database,
        ssl: false,
      },
      masterCredentials: { username: postgres.superuser, password: postgres.superuserPassword },
      masterSecretId,
      appSecretName: appSecretId,
      log: (line) => {
        log(`bootstrap: ${line}`);
      },
    });

    const env: Record<string, string> = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_REGION: secretsManager.region,
      AWS_ACCESS_KEY_ID: LOCAL_PRINCIPALS.app.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_PRINCIPALS.app.secretAccessKey,
      DB_SECRET_ID: appSecretId,
      DB_MASTER_SECRET_ID: masterSecretId,
      DB_SSL: 'disable',
      DB_SCHEMA: bootstrap.schema,
      DB_OWNER_ROLE: bootstrap.ownerRole,
      PGHOST: postgres.host,
      PGPORT: String(postgres.port),
      PGDATABASE: bootstrap.database,
    };

    // Rotation function (opt-in): the rotator, as the rotator principal.
    const rotator = options.rotation
      ? attachStackRotator({
          endpoint: secretsManager,
          client: secretsManagerClient('rotator'),
          ownerRole: bootstrap.ownerRole,
          options: options.rotation,
          log,
        })
      : undefined;

    let stopped: Promise<void> | undefined;
    return {
      postgres,
      secretsManager,
      bootstrap,
      env,
      masterSecretId,
      appSecretId,
      secretsManagerClient,
      ...(rotator && { rotator }),
      stop: () => (stopped ??= runCleanups()),
    };
  } catch (err) {
    await runCleanups().catch(() => undefined);
    throw err;
  }
}

/** dotenv lines for an env record (values here never need quoting, and are checked for that). */
export function formatEnvFile(env: Record<string, string>, header?: string): string {
  const lines = header === undefined ? [] : header.split('\n').map((line) => `# ${line}`);
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /[\s"'#\\]/.test(value)) {
      throw new Error(`cannot write ${key} to an env file without quoting`);
    }
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}
