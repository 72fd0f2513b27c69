import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCode, HttpError, validationFailed } from '../../errors.js';
import { MAX_PRODUCT_ID, decodeCursor, findProduct, listProducts } from '../../domain/products.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const ProductSchema = Type.Object({
  id: Type.Integer(),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

const ProductPageSchema = Type.Object({
  items: Type.Array(ProductSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

const ProductParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_PRODUCT_ID }) });

const products: FastifyPluginCallbackTypebox = (fastify, _options, done) => {
  fastify.get(
    '/products',
    { schema: { querystring: ListQuery, response: { 200: ProductPageSchema } } },
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
    { schema: { params: ProductParams, response: { 200: ProductSchema } } },
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
