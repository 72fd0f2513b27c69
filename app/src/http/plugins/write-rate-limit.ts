import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCode, HttpError } from '../errors.js';

export interface WriteRateLimitOptions {
  /** Write requests per minute per client address; 0 turns the limit off. */
  writesPerMinute: number;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Limits write requests (POST, PUT, PATCH, DELETE) per client address; reads, health probes and
 * metrics are never limited. The key is `request.ip` (IPv6 grouped by /64, the plugin's default), so
 * behind a load balancer `trustProxy` must be set or every client shares the balancer's address.
 * Counters live in this process: with N tasks a client may write N times the limit, which is enough
 * to stop one runaway client without a shared store. The check runs before the body is read.
 * Must be registered before the routes it guards (it hooks `onRoute`).
 */
export default fp<WriteRateLimitOptions>(
  async (fastify, { writesPerMinute }) => {
    if (writesPerMinute === 0) return;
    await fastify.register(rateLimit, { global: false, max: writesPerMinute, timeWindow: 60_000 });
    const check = fastify.createRateLimit();

    const limitWrites = async (request: FastifyRequest, reply: FastifyReply) => {
      const limit = await check(request);
      if (limit.isAllowed) return;
      void reply.headers({
        'x-ratelimit-limit': limit.max,
        'x-ratelimit-remaining': limit.remaining,
        'x-ratelimit-reset': limit.ttlInSeconds,
      });
      if (limit.isExceeded) {
        throw new HttpError(
          429,
          ErrorCode.rateLimited,
          'Too many write requests from this client; retry after the number of seconds in Retry-After',
          undefined,
          { 'retry-after': String(limit.ttlInSeconds) },
        );
      }
    };

    fastify.addHook('onRoute', (route: RouteOptions) => {
      if (!isWrite(route.method)) return;
      const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
      route.onRequest = [...existing, limitWrites];
    });
  },
  { name: 'write-rate-limit', fastify: '5.x' },
);

function isWrite(method: RouteOptions['method']): boolean {
  return [method].flat().some((m) => WRITE_METHODS.has(m.toUpperCase()));
}
