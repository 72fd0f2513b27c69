import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

/** What we accept as a caller-supplied request id: short, and nothing that could upset a log line. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids: keep the caller's `X-Request-Id` when it looks like an id (so a trace can cross
 * services), otherwise make one. Passed to Fastify as `genReqId`.
 */
export function requestId(req: IncomingMessage): string {
  const supplied = req.headers['x-request-id'];
  return typeof supplied === 'string' && ACCEPTABLE_REQUEST_ID.test(supplied) ? supplied : randomUUID();
}

/** Echoes the request id on every response, errors included, so a client can quote it. */
export default fp(
  (fastify, _options, done) => {
    fastify.addHook('onRequest', (request, reply, next) => {
      void reply.header('x-request-id', request.id);
      next();
    });
    done();
  },
  { name: 'request-context', fastify: '5.x' },
);
