/**
 * The real service in-process, on a listening port, against real PostgreSQL (password auth) and
 * the local Secrets Manager endpoint over HTTP with the real SDK. Plus the operator-side actions a
 * rotation performs, done by hand so each test controls the order of events.
 */
import { randomUUID } from 'node:crypto';
import {
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { loadConfig, type DbTuning } from '../../app/src/config.js';
import { startService, type RunningService } from '../../app/src/service.js';
import { LOCAL_PRINCIPALS, type LocalPrincipalName } from '../../local/embedded-stack.js';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import { bootstrapDatabase, type BootstrapResult } from '../../db-bootstrap/index.js';
import { computeScramVerifier } from '../../rotation/scram-verifier.js';
import { captureLogs } from './log-capture.js';
import { startTestPostgres, type RunningPostgres } from './postgres.js';

export interface Backends {
  postgres: RunningPostgres;
  secretsManager: SecretsManagerEndpoint;
  bootstrap: BootstrapResult;
  /** Superuser connection for operator actions. */
  master: pg.Client;
  /** Every password that existed during the test, for leak checks. */
  passwords: string[];
  client(principal: LocalPrincipalName): SecretsManagerClient;
  /** The app secret's current value. */
  currentSecret(): Promise<{ versionId: string; value: Record<string, unknown> }>;
  /**
   * A new version of the app secret holding `changes`, staged AWSPENDING (or AWSCURRENT when
   * `stage` says so). Returns the new version id.
   */
  putVersion(secretString: string, stage?: 'AWSPENDING' | 'AWSCURRENT'): Promise<string>;
  /** Move AWSCURRENT to `versionId` (AWSPREVIOUS follows) and clear AWSPENDING from it. */
  promote(versionId: string): Promise<void>;
  /** A generated password, remembered for leak checks. */
  newPassword(): Promise<string>;
  /** ALTER ROLE … PASSWORD with a SCRAM verifier (no cleartext reaches the server). */
  setRolePassword(role: string, password: string): Promise<void>;
  /** A second login for the app's schema (the alternating-users clone), with a new password; returns it. */
  createAppRole(role: string): Promise<string>;
  /** pg_terminate_backend for every session of these roles: the next request needs new connections. */
  killSessions(roles: string[]): Promise<number>;
  /** Environment for an app process (the app principal), as `npm run stack` writes it. */
  appEnv(): Record<string, string>;
  stop(): Promise<void>;
}

export interface ServiceHarness extends Backends {
  service: RunningService;
  logs: ReturnType<typeof captureLogs>;
}

export interface BackendOptions {
  /** Default: startTestPostgres (a container when Docker answers, embedded otherwise). */
  startPostgres?: () => Promise<RunningPostgres>;
}

/** PostgreSQL + the Secrets Manager endpoint + bootstrap, and operator actions on them. */
export async function startBackends(options: BackendOptions = {}): Promise<Backends> {
  const postgres = await (options.startPostgres ?? startTestPostgres)();
  const secretsManager = await startSecretsManagerEndpoint();
  const clients: SecretsManagerClient[] = [];
  const client = (principal: LocalPrincipalName) => {
    const c = new SecretsManagerClient({
      endpoint: secretsManager.url,
      region: secretsManager.region,
      credentials: LOCAL_PRINCIPALS[principal],
      // Outage tests: an unanswered call must fail fast, as in production.
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
      maxAttempts: 2,
    });
    clients.push(c);
    return c;
  };
  const admin = client('admin');
  const passwords = [postgres.superuserPassword];

  const bootstrap = await bootstrapDatabase({
    secretsManager: admin,
    connection: { host: postgres.host, port: postgres.port, ssl: false },
    masterCredentials: { username: postgres.superuser, password: postgres.superuserPassword },
    masterSecretId: 'test/rds/master',
    appSecretName: 'test/app/db',
  });
  const master = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.superuser,
    password: postgres.superuserPassword,
    database: bootstrap.database,
  });
  // A test that restarts the server ends this session too; such a test does not use it afterwards.
  master.on('error', () => undefined);
  await master.connect();

  const secretId = bootstrap.appSecretArn;
  const currentSecret = async () => {
    const out = await admin.send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
    if (typeof value.password === 'string') passwords.push(value.password);
    return { versionId: out.VersionId ?? '', value };
  };
  await currentSecret();
  const newPassword = async () => {
    const out = await admin.send(
      new GetRandomPasswordCommand({ PasswordLength: 32, ExcludeCharacters: ':/@"\'\\ ' }),
    );
    const password = out.RandomPassword ?? '';
    passwords.push(password);
    return password;
  };

  return {
    postgres,
    secretsManager,
    bootstrap,
    master,
    passwords,
    client,
    currentSecret,
    async putVersion(secretString, stage = 'AWSPENDING') {
      const token = randomUUID();
      await admin.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: secretString,
          VersionStages: [stage],
        }),
      );
      return token;
    },
    async promote(versionId) {
      const { versionId: current } = await currentSecret();
      await admin.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: versionId,
          RemoveFromVersionId: current,
        }),
      );
      await admin
        .send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: 'AWSPENDING',
            RemoveFromVersionId: versionId,
          }),
        )
        .catch(() => undefined); // it may not hold AWSPENDING
    },
    newPassword,
    async setRolePassword(role, password) {
      await master.query(
        `ALTER ROLE ${pg.escapeIdentifier(role)} WITH PASSWORD ${pg.escapeLiteral(computeScramVerifier(password))}`,
      );
    },
    async createAppRole(role) {
      const password = await newPassword();
      await master.query(
        `CREATE ROLE ${pg.escapeIdentifier(role)} WITH LOGIN PASSWORD ${pg.escapeLiteral(computeScramVerifier(password))} IN ROLE app_owner`,
      );
      return password;
    },
    async killSessions(roles) {
      const result = await master.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1) AND pid <> pg_backend_pid()',
        [roles],
      );
      return result.rowCount ?? 0;
    },
    appEnv() {
      const { accessKeyId, secretAccessKey } = LOCAL_PRINCIPALS.app;
      return {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        AWS_REGION: secretsManager.region,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        DB_SECRET_ID: secretId,
        DB_SSL: 'disable',
      };
    },
    async stop() {
      await master.end().catch(() => undefined);
      for (const c of clients) c.destroy();
      await secretsManager.close();
      await postgres.stop();
    },
  };
}

/** The backends plus the real service in-process on a listening port, its logs captured. */
export async function startServiceHarness(
  env: Record<string, string> = {},
  options: BackendOptions & { tuning?: Partial<DbTuning> } = {},
): Promise<ServiceHarness> {
  const backends = await startBackends(options);
  const logs = captureLogs('info');
  const config = loadConfig(
    {
      DB_SECRET_ID: backends.bootstrap.appSecretArn,
      DB_SSL: 'disable',
      HOST: '127.0.0.1',
      PORT: '0',
      DB_POOL_MAX: '5',
      DB_CONNECT_TIMEOUT_MS: '3000',
      // Tests drive the cycle with health.runOnce(); the timer stays out of the way.
      CREDENTIAL_REFRESH_SECONDS: '3600',
      // Closed-loop load from one address writes far more than a client should: no write limit.
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      SHUTDOWN_DELAY_SECONDS: '0',
      ...env,
    },
    options.tuning,
  );
  const service = await startService({
    config,
    logger: logs.logger,
    scrubber: logs.scrubber,
    secretsManager: backends.client('app'),
  });

  return {
    ...backends,
    service,
    logs,
    async stop() {
      await service.shutdown(0).catch(() => undefined);
      await backends.stop();
    },
  };
}

/** Resolves when PostgreSQL shows a query like `pattern` running for `user` (the server is the event source here). */
export async function untilQueryRunning(master: pg.Client, user: string, pattern: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rowCount } = await master.query(
      `SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND state = 'active' AND query LIKE $2`,
      [user, pattern],
    );
    if (rowCount) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no active query like ${pattern} for ${user}`);
}
