import type { SwaggerOptions } from '@fastify/swagger';
import fp from 'fastify-plugin';

/** Where the document and the UI are served when OPENAPI_DOCS=true. */
export const OPENAPI_DOCUMENT_PATH = '/openapi.json';
export const OPENAPI_UI_PATH = '/docs';

/** The contract's own version: raise it when a route, a field or a response changes. */
export const API_VERSION = '1.0.0';

const OPENAPI_OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Orders API',
      version: API_VERSION,
      description:
        'A products and orders API that keeps serving while AWS Secrets Manager rotates its PostgreSQL ' +
        'credentials. Every error has one shape (`ErrorResponse`); every response carries `X-Request-Id`. ' +
        'Generated from the route schemas: `npm run openapi` writes docs/openapi.json.',
      license: { name: 'MIT-0', identifier: 'MIT-0' },
    },
    tags: [
      { name: 'products', description: 'The seeded catalogue' },
      { name: 'orders', description: 'Orders, safe to retry with an Idempotency-Key' },
      { name: 'health', description: 'Load balancer probes and metrics' },
    ],
  },
  // Shared schemas keep their `$id` as their name under #/components/schemas.
  refResolver: {
    buildLocalReference: (json, _baseUri, _fragment, index) =>
      typeof json['$id'] === 'string' ? json['$id'] : `def-${index}`,
  },
};

/**
 * The OpenAPI document, generated from the route schemas by @fastify/swagger, at
 * OPENAPI_DOCUMENT_PATH, and Swagger UI at OPENAPI_UI_PATH. Must be registered before the routes (it
 * collects them as they are added). Both packages are imported here, on demand, so an app without
 * OPENAPI_DOCS never loads them.
 */
export default fp(
  async (fastify) => {
    const { default: swagger } = await import('@fastify/swagger');
    await fastify.register(swagger, OPENAPI_OPTIONS);

    fastify.get(OPENAPI_DOCUMENT_PATH, { schema: { hide: true } }, (_request, reply) => {
      void reply.header('cache-control', 'no-store').send(fastify.swagger());
    });

    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    // staticCSP replaces the API's `default-src 'none'` with a policy the UI's own scripts can run under,
    // on the UI's routes only.
    await fastify.register(swaggerUi, { routePrefix: OPENAPI_UI_PATH, staticCSP: true });
  },
  { name: 'api-docs', fastify: '5.x', dependencies: ['error-handler'] },
);
