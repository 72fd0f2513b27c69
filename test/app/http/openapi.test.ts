/**
 * The OpenAPI document: docs/openapi.json is what the routes generate (`npm run openapi` rewrites
 * it), and the app serves it, with Swagger UI, only when OPENAPI_DOCS turns it on.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT_PATH, OPENAPI_UI_PATH } from '../../../app/src/http/plugins/api-docs.js';
import { OPENAPI_FILE, renderOpenApiDocument, sortKeys } from '../../../tools/openapi/generate.js';
import { expectError, failingDatabase, startTestApp, type TestApp } from '../../helpers/http-app.js';

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { headers?: Record<string, unknown>; links?: Record<string, unknown> }>;
}
type Paths = Record<string, Record<string, Operation>>;

describe('docs/openapi.json', () => {
  it('is what the routes generate (run `npm run openapi` after changing a route)', async () => {
    const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => '(missing)');
    expect(committed, 'docs/openapi.json is out of date: run `npm run openapi` and commit it').toBe(
      await renderOpenApiDocument(),
    );
  });

  it('documents every route, status, Retry-After and the Idempotency-Key; nothing from this machine', async () => {
    const text = await readFile(OPENAPI_FILE, 'utf8');
    const document = JSON.parse(text) as { openapi: string; servers?: unknown; paths: Paths };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toBeUndefined();
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|https?:\/\//i);

    const statuses = (path: string, method: string) =>
      Object.keys(document.paths[path]?.[method]?.responses ?? {});
    expect(statuses('/api/products', 'get')).toEqual(['200', '400', '503']);
    expect(statuses('/api/products/{id}', 'get')).toEqual(['200', '400', '404', '503']);
    expect(statuses('/api/orders', 'post')).toEqual(['201', '400', '413', '415', '422', '429', '503']);
    expect(statuses('/api/orders/{id}', 'get')).toEqual(['200', '400', '404', '503']);
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      expect(statuses(path, 'get')).toEqual(['200', '503']);
    }

    const createOrder = document.paths['/api/orders']?.['post'];
    expect(createOrder?.parameters).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header', required: false }),
    );
    expect(Object.keys(createOrder?.responses['429']?.headers ?? {})).toContain('retry-after');
    expect(Object.keys(createOrder?.responses['503']?.headers ?? {})).toContain('retry-after');
    expect(createOrder?.responses['201']?.links).toEqual({
      GetOrder: { operationId: 'getOrder', parameters: { id: '$response.body#/id' } },
    });
  });
});

describe('serving the document', () => {
  const db = failingDatabase(() => new Error('not used'));
  let on: TestApp;
  let off: TestApp;

  beforeAll(async () => {
    [on, off] = await Promise.all([
      startTestApp({ db, apiDocs: true }),
      startTestApp({ db, apiDocs: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([on.close(), off.close()]);
  });

  it('is not served when off (the default)', async () => {
    await expectError(await off.request(OPENAPI_DOCUMENT_PATH), 404, 'ROUTE_NOT_FOUND');
    await expectError(await off.request(`${OPENAPI_UI_PATH}/`), 404, 'ROUTE_NOT_FOUND');
  });

  it('serves the committed document and Swagger UI when on', async () => {
    const response = await on.request(OPENAPI_DOCUMENT_PATH);
    expect(response.status).toBe(200);
    expect(sortKeys(await response.json())).toEqual(JSON.parse(await readFile(OPENAPI_FILE, 'utf8')));

    const ui = await on.request(`${OPENAPI_UI_PATH}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await ui.text()).toMatch(/swagger-ui/i);
    // The UI runs its own scripts: its pages get a policy that allows them; the API keeps 'none'.
    expect(ui.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await on.request('/health/live')).headers.get('content-security-policy')).toMatch(
      /default-src 'none'/,
    );
  });
});
