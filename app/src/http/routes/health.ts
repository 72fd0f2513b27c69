import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ERROR_RESPONSE_ID, SHUTTING_DOWN_RESPONSE } from '../schemas/error-responses.js';

const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const NullableText = Type.Union([Type.String(), Type.Null()]);

/** `ReadinessSnapshot` (../../health/readiness.ts): what the last health-check cycle found. */
const ReadinessSchema = Type.Object(
  {
    ready: Type.Boolean(),
    draining: Type.Boolean({ description: 'True from SIGTERM on' }),
    database: Type.Object(
      {
        reachable: Type.Boolean(),
        checkedAt: Timestamp,
        error: Type.Optional(Type.String({ description: 'Why the last probe failed' })),
      },
      { additionalProperties: false },
    ),
    credentials: Type.Object(
      {
        versionId: NullableText,
        stage: NullableText,
        username: NullableText,
        fetchedAt: Timestamp,
        ageSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
        lastCheckAt: Timestamp,
        lastCheckError: Type.Optional(Type.String()),
      },
      { additionalProperties: false, description: 'The secret version in use; never the password' },
    ),
    pool: Type.Object(
      {
        generation: Type.Integer({ minimum: 0 }),
        total: Type.Integer({ minimum: 0 }),
        idle: Type.Integer({ minimum: 0 }),
        waiting: Type.Integer({ minimum: 0 }),
        ceiling: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        ready: true,
        draining: false,
        database: { reachable: true, checkedAt: '2026-01-01T12:00:00.000Z' },
        credentials: {
          versionId: 'b5f3c1de-6a2e-4b8f-9c0d-1e2f3a4b5c6d',
          stage: 'AWSCURRENT',
          username: 'app',
          fetchedAt: '2026-01-01T11:59:30.000Z',
          ageSeconds: 30,
          lastCheckAt: '2026-01-01T12:00:00.000Z',
        },
        pool: { generation: 1, total: 4, idle: 3, waiting: 0, ceiling: 10 },
      },
    ],
  },
);

/**
 * Probes. Neither does I/O: `/health/live` answers as long as the event loop does (a failing
 * database must not get healthy tasks killed), and `/health/ready` reports what the last
 * background health-check cycle found (the load balancer probes often; those probes must not
 * multiply database connections or Secrets Manager calls).
 */
const health: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'The process is up; never touches the database',
        tags: ['health'],
        response: {
          200: Type.Object(
            { status: Type.Literal('ok') },
            { additionalProperties: false, 'x-response-description': 'Alive' },
          ),
          503: SHUTTING_DOWN_RESPONSE,
        },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'no-store');
      return { status: 'ok' as const };
    },
  );

  fastify.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'The last health-check cycle; never calls Secrets Manager',
        tags: ['health'],
        response: {
          200: {
            ...ReadinessSchema,
            'x-response-description': 'Ready: the database answered the last probe',
          },
          503: {
            'x-response-description':
              'Not ready: the database is unreachable or the instance is draining (the snapshot), or it is ' +
              'shutting down (the error shape, SHUTTING_DOWN, with Retry-After)',
            anyOf: [ReadinessSchema, { $ref: `${ERROR_RESPONSE_ID}#` }],
          },
        },
      },
    },
    async (_request, reply) => {
      const snapshot = fastify.readiness.snapshot();
      return reply
        .code(snapshot.ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(snapshot);
    },
  );
  done();
};

export default health;
