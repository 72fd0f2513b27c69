import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../../app/src/config.js';
import type { DbCredentials } from '../../../../app/src/credentials/secret-shape.js';
import { createMetrics } from '../../../../app/src/metrics.js';
import { PoolGenerations, type Generation } from '../../../../app/src/db/pool-generation.js';
import { captureLogs } from '../../../helpers/log-capture.js';

const db: AppConfig['db'] = {
  fallback: {},
  ssl: 'disable',
  schema: 'orders',
  ownerRole: 'orders_owner',
  poolMax: 8,
  maxLifetimeSeconds: 600,
  connectTimeoutMs: 2000,
  queryTimeoutMs: 3000,
  probeTimeoutMs: 1000,
  authRetrySeconds: 60,
  migrate: false,
};

/** A loopback port nothing listens on: every connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const credentials = (port: number, username = 'app_a'): DbCredentials => ({
  host: '127.0.0.1',
  port,
  dbname: 'orders',
  username,
  password: `password-of-${username}-000000`,
});

function setup(first: DbCredentials) {
  const logs = captureLogs();
  const asked: Generation[] = [];
  const generations = new PoolGenerations(
    {
      db,
      ssl: false,
      logger: logs.logger,
      metrics: createMetrics({ defaultMetrics: false }),
      applicationName: 'orders-api-test',
      random: () => 0,
      password: (generation) => {
        asked.push(generation);
        return Promise.resolve(generation.password);
      },
    },
    first,
  );
  return { generations, logs, asked };
}

/** pg-pool's options as the pool reads them (its typings leave out the ones it only passes on). */
type PoolOptions = Record<string, unknown> & {
  password: () => Promise<string>;
  onConnect: () => void;
  maxLifetimeSeconds: number;
};

describe('PoolGenerations', () => {
  it("builds a generation's pool as its user, with the app's name, schema and bounds", async () => {
    const port = await closedPort();
    const { generations } = setup(credentials(port));
    const options = generations.active.pool.options as unknown as PoolOptions;
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port,
      user: 'app_a',
      database: 'orders',
      max: 8,
      application_name: 'orders-api-test',
      options: '-c search_path=orders',
      query_timeout: 3000,
      connectionTimeoutMillis: 2000,
      keepAlive: true,
    });
    await generations.end();
  });

  it('asks for the password on every new connection, naming the generation, so a new password needs no new pool', async () => {
    const { generations, asked } = setup(credentials(await closedPort()));
    const options = generations.active.pool.options as unknown as PoolOptions;
    generations.active.password = 'the-rotated-one-111111';
    expect(await options.password()).toBe('the-rotated-one-111111');
    expect(asked.map((g) => g.generation)).toEqual([1]);
    await generations.end();
  });

  it('gives each new connection a lifetime between 80 % and 100 % of the setting, so a burst does not expire as one', async () => {
    const { generations } = setup(credentials(await closedPort()));
    const options = generations.active.pool.options as unknown as PoolOptions;
    options.onConnect(); // random() = 0: the shortest
    expect(options.maxLifetimeSeconds).toBe(480);
    await generations.end();
  });

  it('keeps the pool in use when the new credentials cannot connect at all', async () => {
    const port = await closedPort();
    const { generations, logs } = setup(credentials(port, 'app_a'));
    const swaps: unknown[] = [];
    generations.on('swap', (swap) => swaps.push(swap));

    expect(await generations.handOver(credentials(port, 'app_b'))).toBeUndefined();

    expect(generations.active).toMatchObject({ generation: 1, username: 'app_a' });
    expect(swaps).toEqual([]);
    const entry = logs
      .entries()
      .find((e) => e.msg === 'new pool could not be warmed; keeping the current pool');
    expect(entry).toMatchObject({ username: 'app_b', code: 'ECONNREFUSED' });
    expect(logs.lines.join('\n')).not.toContain('password-of-');
    await generations.end();
  });

  it('ends by draining every generation, each announced once', async () => {
    const { generations } = setup(credentials(await closedPort()));
    const drained: unknown[] = [];
    generations.on('drained', (event) => drained.push(event));
    await generations.end();
    await generations.end();
    expect(drained).toEqual([{ generation: 1, username: 'app_a' }]);
  });
});
