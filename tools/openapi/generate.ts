/**
 * The OpenAPI document as the routes generate it: the app is built (never listening, no database)
 * with the document enabled, and @fastify/swagger's output is written with every object's keys
 * sorted and formatted by prettier, so the same routes always give the same bytes.
 */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { format, resolveConfig } from 'prettier';
import { type Database, buildApp, createMetrics } from '../../app/src/index.js';

/** Where the committed document lives. */
export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

const NO_DATABASE: Database = {
  read: () => Promise.reject(new Error('the document is generated without a database')),
  transaction: () => Promise.reject(new Error('the document is generated without a database')),
};

export async function generateOpenApiDocument(): Promise<unknown> {
  const app = await buildApp({
    db: NO_DATABASE,
    readiness: {
      snapshot: () => {
        throw new Error('the document is generated without a health cycle');
      },
    },
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    apiDocs: true,
  });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}

/** Objects with their keys in code-point order at every level; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(source)
      .sort()
      .map((key) => [key, sortKeys(source[key])]),
  );
}

/** The file's exact text: sorted keys, prettier's JSON formatting, one trailing newline. */
export async function renderOpenApiDocument(): Promise<string> {
  const document = sortKeys(await generateOpenApiDocument());
  const options = (await resolveConfig(OPENAPI_FILE)) ?? {};
  return format(JSON.stringify(document), { ...options, filepath: OPENAPI_FILE });
}
