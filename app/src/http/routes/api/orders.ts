import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCode, HttpError, validationFailed } from '../../errors.js';
import { createOrder, findOrder } from '../../domain/orders.js';
import { MAX_PRODUCT_ID } from '../../domain/products.js';
import { unstorableTextProblem } from '../../validation.js';

const OrderLineSchema = Type.Object({
  lineNo: Type.Integer(),
  productId: Type.Integer(),
  quantity: Type.Integer(),
  unitPriceCents: Type.Integer(),
  lineTotalCents: Type.Integer(),
});

const OrderSchema = Type.Object({
  id: Type.Integer(),
  totalCents: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  note: Type.Optional(Type.String()),
  lines: Type.Array(OrderLineSchema),
});

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
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

const CreateOrderHeaders = Type.Object({
  /** 1..200 visible ASCII characters (0x21-0x7E); a UUID is the usual choice. */
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$' }),
  ),
});

const OrderParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

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
    { schema: { body: CreateOrderBody, headers: CreateOrderHeaders, response: { 201: OrderSchema } } },
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
    { schema: { params: OrderParams, response: { 200: OrderSchema } } },
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
