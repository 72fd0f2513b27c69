import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { ReadinessSource } from '../health/readiness.js';
import type { Metrics } from '../metrics.js';
import { errorBody, toErrorResponse } from './errors.js';
import { useStrictJsonParser } from './json-body.js';
import apiDocs from './plugins/api-docs.js';
import dependencies from './plugins/dependencies.js';
import errorHandler, { sendError } from './plugins/error-handler.js';
import methodNotAllowed from './plugins/method-not-allowed.js';
import requestContext, { requestId } from './plugins/request-context.js';
import requestMetrics from './plugins/request-metrics.js';
import securityHeaders, { STATIC_SECURITY_HEADERS } from './plugins/security-headers.js';
import shutdown from './plugins/shutdown.js';
import writeRateLimit from './plugins/write-rate-limit.js';
import health from './routes/health.js';
import metrics from './routes/metrics.js';
import orders from './routes/api/orders.js';
import products from './routes/api/products.js';
import { validatorCompiler } from './validation.js';
import { HTTP_DEFAULTS } from '../config.js';

export interface AppDependencies {
  db: Database;
  readiness: ReadinessSource;
  metrics: Metrics;
  logger: Logger;
  /** Larger request bodies are refused with 413. Default: HTTP_DEFAULTS (config.ts), 64 KiB. */
  bodyLimitBytes?: number;
  /** Write requests per minute per client address, then 429; 0: no limit. Default: HTTP_DEFAULTS, 600. */
  writesPerMinute?: number;
  /**
   * Fastify's `trustProxy`: `true` trusts every X-Forwarded-For entry, a number that many hops (1
   * behind an ALB, so `request.ip` is the client, not the load balancer node). Default: `false`.
   */
  trustProxy?: boolean | number;
  /** Hours an order's Idempotency-Key is remembered. Default: HTTP_DEFAULTS, 24. */
  idempotencyRetentionHours?: number;
  /** Serve the OpenAPI document and Swagger UI (plugins/api-docs.ts). Default: off. */
  apiDocs?: boolean;
}

/**
 * Builds the HTTP application without listening; the caller decides where (`listen`) and when it
 * stops (`close`). Layout, in registration order:
 *   plugins/  cross-cutting behaviour on the root instance (services, errors, 405s, request ids,
 *             security headers, metrics, shutdown, the write rate limit, the OpenAPI document when
 *             enabled)
 *   routes/   health and metrics probes, then the domain API under /api
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.bodyLimitBytes ?? HTTP_DEFAULTS.bodyLimitBytes,
    genReqId: requestId,
    trustProxy: trustProxy(deps.trustProxy ?? false),
    // Probes arrive every few seconds from every load balancer node: no access-log lines for them.
    // (Errors on those routes are still logged by the error handler.)
    logController: new LogController({
      disableRequestLogging: (request) => isProbe(request.routeOptions.url),
    }),
    requestIdHeader: false,
    // Replaced by plugins/shutdown.ts, which answers in the API's error shape.
    return503OnClosing: false,
    // Malformed URLs (bad percent-encoding, over-long parameters) are client errors like any other.
    // No hooks run for them, so the headers the plugins would add are set here.
    frameworkErrors: (error, request, reply) => {
      void reply.headers({ ...STATIC_SECURITY_HEADERS, 'x-request-id': request.id });
      sendError(error, request, reply);
    },
    // Requests Node's HTTP parser rejects before Fastify sees them (oversized or malformed headers).
    clientErrorHandler: (error, socket) => {
      writeClientError(error, socket);
    },
  });

  app.setValidatorCompiler(validatorCompiler);
  // JSON only: anything else (text/plain included, which Fastify parses by default) is a 415.
  app.removeContentTypeParser('text/plain');
  useStrictJsonParser(app);

  await app.register(dependencies, { db: deps.db, readiness: deps.readiness, metrics: deps.metrics });
  await app.register(errorHandler);
  await app.register(requestContext);
  await app.register(securityHeaders);
  await app.register(requestMetrics);
  await app.register(shutdown);
  // After the plugins whose onRequest hooks set headers every response carries.
  await app.register(methodNotAllowed);
  await app.register(writeRateLimit, {
    writesPerMinute: deps.writesPerMinute ?? HTTP_DEFAULTS.writesPerMinute,
  });
  if (deps.apiDocs === true) await app.register(apiDocs);

  await app.register(health);
  await app.register(metrics);
  await app.register(
    async (api) => {
      await api.register(products);
      await api.register(orders, {
        idempotencyRetentionHours: deps.idempotencyRetentionHours ?? HTTP_DEFAULTS.idempotencyRetentionHours,
      });
    },
    { prefix: '/api' },
  );

  return app;
}

/**
 * Fastify 5.12.1 stopped honouring a hop count (it now trusts nothing), because a count cannot tell
 * whether the immediate peer is a proxy: a client that reaches the app directly could forge
 * X-Forwarded-For. Here the count is only meant for a deployment where the peer is always the proxy
 * (on ECS the tasks have no public address and admit traffic from the load balancer alone), so it is
 * applied as a trust function: the socket peer and the next `hops - 1` forwarded addresses are
 * proxies, and `request.ip` is the address before them.
 */
function trustProxy(setting: boolean | number): boolean | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'boolean') return setting;
  return (_address, hop) => hop < setting;
}

const PROBE_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

function isProbe(route: string | undefined): boolean {
  return route !== undefined && PROBE_ROUTES.has(route);
}

function writeClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const response = toErrorResponse(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? { statusCode: 431 }
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { statusCode: 408 }
        : { statusCode: 400 },
  );
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(response, requestId));
  // A response to HEAD has no body, errors included: the client would take it for the next response.
  const head =
    Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${response.statusCode} ${response.message}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        Object.entries(STATIC_SECURITY_HEADERS)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        'Connection: close\r\n\r\n' +
        (head ? '' : body),
    );
  }
  socket.destroy(error);
}
