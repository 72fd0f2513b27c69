/**
 * The database stops and starts again while the app runs. Requests in the outage get a clean 503,
 * readiness fails without waiting for the next health cycle (parked here at 3600 s) and comes back
 * once the server accepts connections again; the process keeps running throughout.
 * Always the embedded server: the test stops and starts the server process on the same port.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningEmbeddedPostgres } from '../../../local/postgres/embedded-postgres.js';
import { startRestartablePostgres } from '../../helpers/postgres.js';
import { startServiceHarness, type ServiceHarness } from '../../helpers/service-harness.js';

let h: ServiceHarness;
let server: RunningEmbeddedPostgres;

beforeAll(async () => {
  h = await startServiceHarness(
    {},
    {
      startPostgres: async () => {
        server = await startRestartablePostgres();
        return server;
      },
    },
  );
});

afterAll(async () => {
  await h.stop();
});

const readiness = async () => (await fetch(`${h.service.url}/health/ready`)).status;

describe('database restart', () => {
  it('answers 503 and fails readiness while the database is down, then serves again', async () => {
    expect(await readiness()).toBe(200);

    await server.stopServer();
    const during = await fetch(`${h.service.url}/api/products/1`);
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');
    await vi.waitFor(
      async () => {
        expect(await readiness()).toBe(503);
      },
      { timeout: 10_000, interval: 50 },
    );

    await server.startServer();
    await vi.waitFor(
      async () => {
        expect(await readiness()).toBe(200);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect((await fetch(`${h.service.url}/api/products/1`)).status).toBe(200);

    const messages = h.logs.entries().map((e) => e.msg);
    expect(messages.filter((m) => m === 'database unreachable; readiness is failing')).toHaveLength(1);
    const back = h.logs.entries().filter((e) => e.msg === 'database reachable');
    expect(back).toHaveLength(1);
    expect(back[0]?.unreachableMs).toEqual(expect.any(Number));
  });
});
