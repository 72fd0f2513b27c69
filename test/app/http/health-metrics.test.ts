import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../../app/src/db/database.js';
import {
  expectError,
  failingDatabase,
  startTestApp,
  stubReadiness,
  type TestApp,
} from '../../helpers/http-app.js';

describe('health and metrics', () => {
  // A database that fails every call: none of these endpoints may depend on it.
  const db = failingDatabase(() => new DatabaseUnavailableError('down'));
  const readiness = stubReadiness();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ db, readiness });
  });
  afterAll(async () => {
    await t.close();
  });

  it('/health/live answers 200 without touching the database', async () => {
    const before = db.calls;
    const response = await t.request('/health/live');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(db.calls).toBe(before);
  });

  it('/health/ready follows the readiness snapshot: 200 when ready, 503 when not', async () => {
    const before = db.calls;
    readiness.current = { ...readiness.current, ready: true, draining: false };
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(readiness.current);

    readiness.current = {
      ...readiness.current,
      ready: false,
      database: { reachable: false, checkedAt: new Date().toISOString(), error: 'connection refused' },
    };
    const unreachable = await t.request('/health/ready');
    expect(unreachable.status).toBe(503);
    expect(await unreachable.json()).toEqual(readiness.current);

    readiness.current = { ...readiness.current, ready: false, draining: true };
    const draining = await t.request('/health/ready');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ ready: false, draining: true });

    readiness.current = { ...readiness.current, ready: true, draining: false };
    expect((await t.request('/health/ready')).status).toBe(200);
    expect(db.calls).toBe(before);
  });

  it('/metrics counts requests by route pattern, with unknown routes under one label', async () => {
    for (const path of [
      '/api/products/1',
      '/api/products/2',
      '/api/products/3',
      '/nowhere/1',
      '/nowhere/2',
    ]) {
      await t.request(path);
    }
    await expectError(await t.request('/api/products/abc'), 400, 'VALIDATION_FAILED');

    const response = await t.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const count = (labels: string) =>
      Number(new RegExp(`^http_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

    expect(count('method="GET",route="/api/products/:id",status_code="503"')).toBe(3);
    expect(count('method="GET",route="/api/products/:id",status_code="400"')).toBe(1);
    expect(count('method="GET",route="unmatched",status_code="404"')).toBe(2);
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/api\/products\/:id"\} 4$/m,
    );
    // Raw URLs never become label values.
    expect(text).not.toContain('/api/products/1"');
    expect(text).not.toContain('/nowhere');
  });

  it('/metrics counts itself and the probes too', async () => {
    await t.request('/health/live');
    const text = await (await t.request('/metrics')).text();
    expect(text).toMatch(
      /^http_requests_total\{method="GET",route="\/health\/live",status_code="200"\} \d+$/m,
    );
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/metrics",status_code="200"\} \d+$/m);
  });
});
