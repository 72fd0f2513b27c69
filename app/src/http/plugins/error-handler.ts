import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, HttpError, errorBody, toErrorResponse } from '../errors.js';
import { ErrorResponseSchema } from '../schemas/error-responses.js';

/**
 * Every error leaves the API in the shape documented in `../errors.ts`: thrown by a handler, raised
 * by validation or body parsing, or an unknown route. Registered with fastify-plugin so the handlers
 * apply to the root instance and therefore to every route registered after it; routes refer to the
 * shape's schema (`ErrorResponse#`) in their error responses.
 */
export default fp(
  (fastify, _options, done) => {
    fastify.addSchema(ErrorResponseSchema);
    fastify.setErrorHandler((error, request, reply) => {
      sendError(error, request, reply);
    });

    fastify.setNotFoundHandler((request, reply) => {
      sendError(
        new HttpError(404, ErrorCode.routeNotFound, 'No route matches this method and path'),
        request,
        reply,
      );
    });
    done();
  },
  { name: 'error-handler', fastify: '5.x' },
);

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const response = toErrorResponse(error);
  const context = { code: response.code, statusCode: response.statusCode };
  if (response.logLevel === 'error') {
    request.log.error({ ...context, err: error }, 'request failed');
  } else if (response.logLevel === 'warn') {
    // Dependency trouble: the type and message say enough; a stack per failed request would flood.
    const cause =
      error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error };
    request.log.warn({ ...context, cause }, 'request failed');
  } else {
    request.log.info(context, 'request rejected');
  }
  void reply
    .code(response.statusCode)
    .headers(response.headers)
    .type('application/json; charset=utf-8')
    .send(errorBody(response, request.id));
}
