import type { RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCode, HttpError } from '../errors.js';

/**
 * A request whose path exists with other methods gets 405 METHOD_NOT_ALLOWED and an `Allow` header
 * listing them (RFC 9110 §15.5.6), not the 404 of an unknown path. Runs on `onRequest`, before a
 * body is read, and must be registered before the routes it learns from (it hooks `onRoute`).
 */
export default fp(
  (fastify, _options, done) => {
    const methodsByPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();

    fastify.addHook('onRoute', (route: RouteOptions) => {
      const entry = methodsByPath.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set() };
      for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
      methodsByPath.set(route.url, entry);
    });

    fastify.addHook('onRequest', (request, reply, next) => {
      if (!request.is404) {
        next();
        return;
      }
      const path = request.url.split('?', 1)[0] ?? '';
      const allowed = new Set<string>();
      for (const { pattern, methods } of methodsByPath.values()) {
        if (pattern.test(path)) for (const method of methods) allowed.add(method);
      }
      if (allowed.size === 0) {
        next();
        return;
      }
      void reply.header('allow', [...allowed].sort().join(', '));
      next(
        new HttpError(
          405,
          ErrorCode.methodNotAllowed,
          'This path does not support this method; the Allow header lists those it does',
        ),
      );
    });
    done();
  },
  { name: 'method-not-allowed', fastify: '5.x', dependencies: ['error-handler'] },
);

/** A route URL (`/api/orders/:id`, `/docs/static/*`) as a regular expression over request paths. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment === '*'
          ? '.*'
          : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}
