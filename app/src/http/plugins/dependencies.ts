import fp from 'fastify-plugin';
import type { Database } from '../../db/database.js';
import type { ReadinessSource } from '../../health/readiness.js';
import type { Metrics } from '../../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    readiness: ReadinessSource;
    metrics: Metrics;
  }
}

export interface Dependencies {
  db: Database;
  readiness: ReadinessSource;
  metrics: Metrics;
}

/**
 * Makes the process-wide services reachable from every route as `fastify.db`, `fastify.readiness`
 * and `fastify.metrics`. Wrapped with fastify-plugin so the decorations land on the root instance
 * instead of staying inside this plugin's encapsulation context.
 */
export default fp<Dependencies>(
  (fastify, deps, done) => {
    fastify.decorate('db', deps.db);
    fastify.decorate('readiness', deps.readiness);
    fastify.decorate('metrics', deps.metrics);
    done();
  },
  { name: 'dependencies', fastify: '5.x' },
);
