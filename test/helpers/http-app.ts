/**
 * Test support for the HTTP layer, in the spirit of fastify/demo's test/helper.ts: build the real
 * app, but listening on a real port (0: any free one) and exercised over real HTTP with `fetch`.
 * The database the routes use comes from test-database.ts.
 */
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import type { Database } from '../../app/src/db/database.js';
import type { ReadinessSnapshot, ReadinessSource } from '../../app/src/health/readiness.js';
import { buildApp } from '../../app/src/http/app.js';
import type { ErrorBody } from '../../app/src/http/errors.js';
import { createMetrics, type Metrics } from '../../app/src/metrics.js';
import { APP_ROLE } from './test-database.js';

export interface TestApp {
  app: FastifyInstance;
  metrics: Metrics;
  baseUrl: string;
  /** `fetch` against the app: `request('/api/products?limit=5')`. */
  request: (path: string, init?: RequestInit) => Promise<Response>;
  /** POST a JSON value (serialised here) or a raw string (sent as it is). */
  postJson: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response>;
  close: () => Promise<void>;
}

export async function startTestApp(options: {
  db: Database;
  readiness?: ReadinessSource;
  logger?: Logger;
  bodyLimitBytes?: number;
  writesPerMinute?: number;
  trustProxy?: boolean | number;
  apiDocs?: boolean;
}): Promise<TestApp> {
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildApp({
    db: options.db,
    readiness: options.readiness ?? stubReadiness(),
    metrics,
    logger: options.logger ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    // No write limit unless a test asks for one: one loopback client writes far more than a client should.
    writesPerMinute: options.writesPerMinute ?? 0,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.apiDocs === undefined ? {} : { apiDocs: options.apiDocs }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on TCP');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const request = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);
  return {
    app,
    metrics,
    baseUrl,
    request,
    postJson: (path, body, headers = {}) =>
      request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => app.close(),
  };
}

/** A ReadinessSource whose snapshot a test can change between requests. */
export function stubReadiness(initial: Partial<ReadinessSnapshot> = {}): ReadinessSource & {
  current: ReadinessSnapshot;
} {
  const source = {
    current: {
      ready: true,
      draining: false,
      database: { reachable: true, checkedAt: new Date(0).toISOString() },
      credentials: {
        versionId: 'version-1',
        stage: 'AWSCURRENT',
        username: APP_ROLE,
        fetchedAt: new Date(0).toISOString(),
        ageSeconds: 0,
        lastCheckAt: new Date(0).toISOString(),
      },
      pool: { generation: 1, total: 1, idle: 1, waiting: 0 },
      ...initial,
    },
    snapshot: () => source.current,
  };
  return source;
}

/** A Database whose every call fails with `error` (and records that it was called). */
export function failingDatabase(error: () => Error): Database & { calls: number } {
  const db = {
    calls: 0,
    read: () => {
      db.calls += 1;
      return Promise.reject(error());
    },
    transaction: () => {
      db.calls += 1;
      return Promise.reject(error());
    },
  };
  return db;
}

/** Asserts the API's one error shape and returns the parsed body. */
export async function expectError(response: Response, statusCode: number, code: string): Promise<ErrorBody> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: body.error.code }).toEqual({ status: statusCode, code });
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String) as string,
      statusCode,
      requestId: expect.any(String) as string,
      ...(body.error.details === undefined ? {} : { details: expect.any(Array) as unknown[] }),
    },
  });
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const detail of body.error.details ?? []) {
    expect(detail).toEqual({
      location: expect.stringMatching(/^(body|querystring|params|headers)$/) as string,
      path: expect.any(String) as string,
      message: expect.any(String) as string,
    });
  }
  return body;
}
