import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCode, HttpError, validationFailed } from '../../errors.js';
import { createOrder, findOrder } from '../../../domain/orders.js';
import { MAX_PRODUCT_ID } from '../../../domain/products.js';
import { errorResponse } from '../../schemas/error-responses.js';
import { NO_NUL_PATTERN, unstorableTextProblem } from '../../validation.js';

const MAX_ORDER_ID = Number.MAX_SAFE_INTEGER;

const OrderLineSchema = Type.Object(
  {
    lineNo: Type.Integer({ minimum: 1 }),
    productId: Type.Integer({ minimum: 1, maximum: MAX_PRODUCT_ID }),
    quantity: Type.Integer({ minimum: 1 }),
    unitPriceCents: Type.Integer({ minimum: 0, description: 'The price when the order was placed' }),
    lineTotalCents: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const OrderSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: MAX_ORDER_ID }),
    totalCents: Type.Integer({ minimum: 0 }),
    createdAt: Type.String({ format: 'date-time' }),
    note: Type.Optional(Type.String({ description: 'Absent when the order was placed without one' })),
    lines: Type.Array(OrderLineSchema, { minItems: 1 }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: 42,
        totalCents: 2598,
        createdAt: '2026-01-01T12:00:00.000Z',
        note: 'Leave at the door',
        lines: [{ lineNo: 1, productId: 1, quantity: 2, unitPriceCents: 1299, lineTotalCents: 2598 }],
      },
    ],
  },
);

const CreateOrderBody = Type.Object(
  {
    lines: Type.Array(
      Type.Object(
        {
          productId: Type.Integer({ minimum: 1, maximum: MAX_PRODUCT_ID }),
          quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    /** Free text, 1..500 characters (code points), stored and returned exactly as sent. */
    note: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        pattern: NO_NUL_PATTERN,
        description:
          'Stored and returned exactly as sent; U+0000 and unpaired surrogates, which PostgreSQL text cannot hold, are refused',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ lines: [{ productId: 1, quantity: 2 }], note: 'Leave at the door' }],
  },
);

const CreateOrderHeaders = Type.Object({
  /** 1..200 visible ASCII characters (0x21-0x7E); a UUID is the usual choice. */
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Makes a retry safe: the same key with the same body returns the first order (Idempotent-Replayed: true) ' +
        'and creates nothing; with another body it is a 422. 1 to 200 visible ASCII characters, a UUID usually; ' +
        'remembered for IDEMPOTENCY_RETENTION_HOURS',
      examples: ['9b2f6d1e-3c4a-4f0b-8e7d-5a6c1b2d3e4f'],
    }),
  ),
});

const OrderParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: MAX_ORDER_ID, examples: [42] }),
});

const CreatedOrderResponse = {
  ...OrderSchema,
  'x-response-description': 'The order: created, or the first one again for a repeated Idempotency-Key',
  headers: {
    location: { type: 'string', description: "The order's URL", examples: ['/api/orders/42'] },
    'idempotent-replayed': {
      type: 'string',
      enum: ['true'],
      description: 'Present when this is the order an earlier request with the same Idempotency-Key created',
    },
  },
};

/**
 * `POST /api/orders` honours an `Idempotency-Key` header:
 * - first use: the order is created, `201 Created`;
 * - the same key with the same body again (a retry, or a duplicate sent concurrently): nothing is
 *   created, the response is the original order, again `201`, plus `Idempotent-Replayed: true`;
 * - the same key with a different body: `422 IDEMPOTENCY_KEY_REUSED`, nothing is created;
 * - a key older than `idempotencyRetentionHours` (IDEMPOTENCY_RETENTION_HOURS, default 24) is
 *   forgotten: reusing it creates a new order, as a first use does.
 * Without the header every request creates an order.
 */
export interface OrdersOptions {
  /** Hours an Idempotency-Key binds; after that a request reusing it creates a new order. */
  idempotencyRetentionHours: number;
}

const orders: FastifyPluginCallbackTypebox<OrdersOptions> = (fastify, options, done) => {
  fastify.post(
    '/orders',
    {
      schema: {
        operationId: 'createOrder',
        summary: 'Place an order, in one transaction',
        tags: ['orders'],
        body: CreateOrderBody,
        headers: CreateOrderHeaders,
        response: {
          201: CreatedOrderResponse,
          400: errorResponse(400),
          413: errorResponse(413),
          415: errorResponse(415),
          422: errorResponse(
            422,
            'A product does not exist (UNKNOWN_PRODUCTS, `details` names the lines), or the Idempotency-Key was ' +
              'used with another body (IDEMPOTENCY_KEY_REUSED)',
          ),
          429: errorResponse(429),
          503: errorResponse(503),
        },
      },
      links: {
        201: { GetOrder: { operationId: 'getOrder', parameters: { id: '$response.body#/id' } } },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const { lines, note } = request.body;
      const noteProblem = note === undefined ? undefined : unstorableTextProblem(note);
      if (noteProblem !== undefined) {
        throw validationFailed([{ location: 'body', path: '/note', message: noteProblem }]);
      }
      // With a key, creating the order again after an ambiguous COMMIT finds the first one: the pool may redo it.
      const result = await fastify.db.transaction(
        (q) =>
          createOrder(q, {
            lines,
            note,
            idempotencyKey,
            keyRetentionHours: options.idempotencyRetentionHours,
          }),
        {
          idempotent: idempotencyKey !== undefined,
        },
      );

      switch (result.kind) {
        case 'created':
        case 'replayed':
          if (result.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
          return reply.code(201).header('location', `/api/orders/${result.order.id}`).send(result.order);
        case 'key-reused':
          throw new HttpError(
            422,
            ErrorCode.idempotencyKeyReused,
            'This Idempotency-Key was already used with a different request body',
          );
        case 'unknown-products':
          throw new HttpError(
            422,
            ErrorCode.unknownProducts,
            `Unknown product ids: ${result.productIds.join(', ')}`,
            lines.flatMap((line, index) =>
              result.productIds.includes(line.productId)
                ? [
                    {
                      location: 'body' as const,
                      path: `/lines/${index}/productId`,
                      message: `product ${line.productId} does not exist`,
                    },
                  ]
                : [],
            ),
          );
      }
    },
  );

  fastify.get(
    '/orders/:id',
    {
      schema: {
        operationId: 'getOrder',
        summary: 'One order with its lines',
        tags: ['orders'],
        params: OrderParams,
        response: {
          200: { ...OrderSchema, 'x-response-description': 'The order' },
          400: errorResponse(400, 'The id is not an integer from 1 to 2^53 - 1'),
          404: errorResponse(404, 'No order has this id (ORDER_NOT_FOUND)'),
          503: errorResponse(503),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const order = await fastify.db.read((q) => findOrder(q, id));
      if (!order) throw new HttpError(404, ErrorCode.orderNotFound, `Order ${id} does not exist`);
      return order;
    },
  );
  done();
};

export default orders;
