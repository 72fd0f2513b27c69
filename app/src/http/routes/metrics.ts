import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

/** Prometheus scrape endpoint over this app instance's own registry. */
const metrics: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get('/metrics', async (_request, reply) => {
    const { registry } = fastify.metrics;
    const text = await registry.metrics();
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
  });
  done();
};

export default metrics;
