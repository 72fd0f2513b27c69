import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCode, HttpError, validationFailed } from '../../errors.js';
import { MAX_PRODUCT_ID, decodeCursor, findProduct, listProducts } from '../../../domain/products.js';
import { errorResponse } from '../../schemas/error-responses.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const ProductSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: MAX_PRODUCT_ID }),
    sku: Type.String(),
    name: Type.String(),
    priceCents: Type.Integer({ minimum: 0 }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    additionalProperties: false,
    examples: [
      { id: 1, sku: 'SKU-0001', name: 'Product 1', priceCents: 1299, createdAt: '2026-01-01T00:00:00.000Z' },
    ],
  },
);

const ProductPageSchema = Type.Object(
  {
    items: Type.Array(ProductSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass back as `cursor` for the next page; `null` on the last page',
    }),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, examples: [5] }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9_-]+$',
        description: 'The `nextCursor` of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

const ProductParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: MAX_PRODUCT_ID, examples: [1] }),
});

const products: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get(
    '/products',
    {
      schema: {
        operationId: 'listProducts',
        summary: 'The catalogue, a page at a time (keyset pagination)',
        tags: ['products'],
        querystring: ListQuery,
        response: {
          200: { ...ProductPageSchema, 'x-response-description': 'A page of products, by id' },
          400: errorResponse(400, 'A query parameter is not valid, or `cursor` is not one this API returned'),
          503: errorResponse(503),
        },
      },
      links: {
        200: {
          GetFirstProduct: { operationId: 'getProduct', parameters: { id: '$response.body#/items/0/id' } },
        },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor } = request.query;
      let afterId = 0;
      if (cursor !== undefined) {
        const decoded = decodeCursor(cursor);
        if (!decoded) {
          throw validationFailed([
            {
              location: 'querystring',
              path: '/cursor',
              message: 'must be a nextCursor returned by this API',
            },
          ]);
        }
        afterId = decoded.afterId;
      }
      return await fastify.db.read((q) => listProducts(q, { limit, afterId }));
    },
  );

  fastify.get(
    '/products/:id',
    {
      schema: {
        operationId: 'getProduct',
        summary: 'One product',
        tags: ['products'],
        params: ProductParams,
        response: {
          200: { ...ProductSchema, 'x-response-description': 'The product' },
          400: errorResponse(400, 'The id is not an integer from 1 to 2147483647'),
          404: errorResponse(404, 'No product has this id (PRODUCT_NOT_FOUND)', {
            code: ErrorCode.productNotFound,
            message: 'Product 999 does not exist',
          }),
          503: errorResponse(503),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const product = await fastify.db.read((q) => findProduct(q, id));
      if (!product) throw new HttpError(404, ErrorCode.productNotFound, `Product ${id} does not exist`);
      return product;
    },
  );
  done();
};

export default products;
