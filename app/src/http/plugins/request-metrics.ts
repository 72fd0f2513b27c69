import fp from 'fastify-plugin';

/** The route label for requests that matched no route: one series, whatever URLs are probed. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts every response in `http_requests_total` and times it in `http_request_duration_seconds`,
 * labelled by route pattern (`/api/products/:id`), never by raw URL, so the number of series stays
 * bounded whatever clients send.
 */
export default fp(
  (fastify, _options, done) => {
    const { httpRequests, httpDuration } = fastify.metrics;
    fastify.addHook('onResponse', (request, reply, next) => {
      const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
      const labels = { method: request.method, route };
      httpRequests.inc({ ...labels, status_code: String(reply.statusCode) });
      httpDuration.observe(labels, reply.elapsedTime / 1000);
      next();
    });
    done();
  },
  { name: 'request-metrics', fastify: '5.x', dependencies: ['dependencies'] },
);
