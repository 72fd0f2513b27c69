import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

/**
 * Probes. Neither does I/O: `/health/live` answers as long as the event loop does (a failing
 * database must not get healthy tasks killed), and `/health/ready` reports what the last
 * background health-check cycle found (the load balancer probes often; those probes must not
 * multiply database connections or Secrets Manager calls).
 */
const health: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get('/health/live', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  fastify.get('/health/ready', async (_request, reply) => {
    const snapshot = fastify.readiness.snapshot();
    return reply
      .code(snapshot.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(snapshot);
  });
  done();
};

export default health;
