/**
 * The one place where tests choose their PostgreSQL.
 *
 * - A Docker-compatible engine answers (Docker, or podman's API service at DOCKER_HOST; see
 *   ./container-engine.ts): a `postgres:18-alpine` container through @testcontainers/postgresql,
 *   with SCRAM-SHA-256 for local and host connections.
 * - Otherwise: embedded PostgreSQL (local/postgres/embedded-postgres.ts), SCRAM as well.
 * - `TEST_POSTGRES=embedded|docker` forces the choice.
 *
 * Either way the server only accepts passwords, so a rotated password really locks the old one out.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generatePassword,
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type RunningEmbeddedPostgres,
  type RunningPostgres,
} from '../../local/postgres/embedded-postgres.js';
import pg from 'pg';
import { containerEngineAnswers } from './container-engine.js';

export type { RunningPostgres } from '../../local/postgres/embedded-postgres.js';

export type TestPostgresKind = 'embedded' | 'docker';

export type TestPostgresOptions = Pick<
  EmbeddedPostgresOptions,
  'superuser' | 'superuserPassword' | 'logStatements' | 'settings'
>;

export const POSTGRES_IMAGE = 'postgres:18-alpine';

export async function testPostgresKind(): Promise<TestPostgresKind> {
  const forced = process.env.TEST_POSTGRES;
  if (forced === 'embedded' || forced === 'docker') return forced;
  if (forced !== undefined && forced !== '') {
    throw new Error(`TEST_POSTGRES must be "embedded" or "docker", got "${forced}"`);
  }
  return (await containerEngineAnswers()) ? 'docker' : 'embedded';
}

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<RunningPostgres> {
  const kind = await testPostgresKind();
  return kind === 'docker' ? startContainerPostgres(options) : startEmbeddedPostgres(options);
}

/**
 * Always the embedded server, for tests that stop and start the server process itself (a container
 * would exit with its server, and come back on another port).
 */
export function startRestartablePostgres(
  options: TestPostgresOptions = {},
): Promise<RunningEmbeddedPostgres> {
  return startEmbeddedPostgres(options);
}

export async function startContainerPostgres(options: TestPostgresOptions = {}): Promise<RunningPostgres> {
  // Loaded only here, so runs without Docker never load testcontainers.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const superuser = options.superuser ?? 'postgres';
  const superuserPassword = options.superuserPassword ?? generatePassword();
  const settings: Record<string, string> = {
    password_encryption: 'scram-sha-256',
    ...(options.logStatements ? { log_statement: 'ddl' } : {}),
    ...options.settings,
  };
  const logDir = await mkdtemp(join(tmpdir(), 'test-pg-log-'));
  const logFile = join(logDir, 'postgres.log');
  const log = createWriteStream(logFile);

  const container = await new PostgreSqlContainer(POSTGRES_IMAGE)
    .withUsername(superuser)
    .withPassword(superuserPassword)
    .withDatabase('postgres')
    .withEnvironment({
      POSTGRES_INITDB_ARGS: '--auth=scram-sha-256',
      POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
    })
    .withCommand(['postgres', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])])
    .withLogConsumer((stream) => {
      stream.pipe(log, { end: false });
    })
    .start();

  let stopped: Promise<void> | undefined;
  return {
    host: container.getHost(),
    port: container.getPort(),
    superuser,
    superuserPassword,
    database: 'postgres',
    logFile,
    stop: () =>
      (stopped ??= (async () => {
        await container.stop();
        await new Promise<void>((resolve) => log.end(resolve));
        await rm(logDir, { recursive: true, force: true });
      })()),
  };
}

/** A plain client connected to `server`'s database as `user` (rejects when the server refuses the login). */
export async function connectAs(server: RunningPostgres, user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user,
    password,
    database: server.database,
  });
  await client.connect();
  return client;
}
