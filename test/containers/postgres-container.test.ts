/**
 * The Testcontainers PostgreSQL target of test/helpers/postgres.ts (what `TEST_POSTGRES=docker`
 * and every suite on a machine with Docker get), for real: `postgres:18-alpine` through
 * @testcontainers/postgresql, SCRAM-SHA-256 only, so a changed password really locks the old one
 * out. Needs a Docker-compatible engine (Docker, or podman's API service: tools/containers/engine.sh);
 * mandatory with REQUIRE_CONTAINERS=1.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePassword } from '../../local/postgres/embedded-postgres.js';
import { containerSkipReason } from '../helpers/container-engine.js';
import { connectAs, startContainerPostgres, type RunningPostgres } from '../helpers/postgres.js';

const skipReason = await containerSkipReason();

describe.skipIf(skipReason !== undefined)(
  `Testcontainers PostgreSQL${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: RunningPostgres;

    const refusal = (user: string, password: string): Promise<unknown> =>
      connectAs(server, user, password).then(
        async (client) => {
          await client.end();
          return undefined;
        },
        (error: unknown) => (error as { code?: string }).code,
      );

    beforeAll(async () => {
      server = await startContainerPostgres();
    }, 180_000);

    afterAll(async () => {
      await server.stop();
    });

    it('is PostgreSQL 18 with SCRAM-SHA-256 for every connection rule', async () => {
      const client = await connectAs(server, server.superuser, server.superuserPassword);
      try {
        const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
        expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(180000);
        const encryption = await client.query<{ password_encryption: string }>('SHOW password_encryption');
        expect(encryption.rows[0]?.password_encryption).toBe('scram-sha-256');
        const rules = await client.query<{ type: string; auth_method: string }>(
          'SELECT type, auth_method FROM pg_hba_file_rules WHERE error IS NULL',
        );
        expect(rules.rows.length).toBeGreaterThan(0);
        for (const rule of rules.rows)
          expect(rule, JSON.stringify(rule)).toMatchObject({ auth_method: 'scram-sha-256' });
      } finally {
        await client.end();
      }
    });

    it('refuses a wrong password, and a changed password locks the old one out (28P01)', async () => {
      expect(await refusal(server.superuser, `${server.superuserPassword}-wrong`)).toBe('28P01');
      const first = generatePassword();
      const second = generatePassword();
      const admin = await connectAs(server, server.superuser, server.superuserPassword);
      try {
        await admin.query(`CREATE ROLE rotated LOGIN PASSWORD '${first}'`);
        expect(await refusal('rotated', first)).toBeUndefined();
        await admin.query(`ALTER ROLE rotated PASSWORD '${second}'`);
      } finally {
        await admin.end();
      }
      expect(await refusal('rotated', first)).toBe('28P01');
      expect(await refusal('rotated', second)).toBeUndefined();
    });

    it("streams the server's log to the helper's log file", async () => {
      const logFile = server.logFile;
      expect(logFile).toBeDefined();
      await expect
        .poll(async () => readFile(logFile ?? '', 'utf8'), { timeout: 10_000 })
        .toContain('database system is ready to accept connections');
    });
  },
);
