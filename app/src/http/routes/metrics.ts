import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SHUTTING_DOWN_RESPONSE } from '../schemas/error-responses.js';

/** Prometheus scrape endpoint over this app instance's own registry. */
const metrics: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics of this instance',
        tags: ['health'],
        response: {
          200: {
            'x-response-description': 'The Prometheus text exposition format (version 0.0.4)',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          503: SHUTTING_DOWN_RESPONSE,
        },
      },
    },
    async (_request, reply) => {
      const { registry } = fastify.metrics;
      const text = await registry.metrics();
      return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
    },
  );
  done();
};

export default metrics;
