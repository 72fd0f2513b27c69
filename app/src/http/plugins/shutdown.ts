import fp from 'fastify-plugin';
import { ErrorCode, HttpError, RETRY_AFTER_SECONDS } from '../errors.js';

/**
 * Once `close()` has begun, a request that still arrives (pipelined, or on a keep-alive connection
 * that was busy when the listener closed) gets a 503 in the API's error shape, with
 * `Connection: close`, instead of starting new work. Fastify's built-in equivalent
 * (`return503OnClosing`) answers in its own shape, so the app turns it off and uses this.
 * Requests already in progress are not affected: they finish normally.
 */
export default fp(
  (fastify, _options, done) => {
    let closing = false;
    fastify.addHook('preClose', (next) => {
      closing = true;
      next();
    });
    fastify.addHook('onRequest', (_request, reply, next) => {
      if (!closing) {
        next();
        return;
      }
      void reply.header('connection', 'close');
      next(
        new HttpError(
          503,
          ErrorCode.shuttingDown,
          'This instance is shutting down; retry the request',
          undefined,
          {
            'retry-after': String(RETRY_AFTER_SECONDS),
          },
        ),
      );
    });
    done();
  },
  { name: 'shutdown', fastify: '5.x' },
);
