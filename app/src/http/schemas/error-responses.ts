import { Type } from 'typebox';
import { ErrorCode, RETRY_AFTER_SECONDS } from '../errors.js';

/** `$id` of the error shape, shared by every route (plugins/error-handler.ts adds it to the app). */
export const ERROR_RESPONSE_ID = 'ErrorResponse';

/** The one error shape of `../errors.ts`, as a schema: responses are serialised and documented with it. */
export const ErrorResponseSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable, for programs', examples: [ErrorCode.validationFailed] }),
        message: Type.String({ description: 'For people; may change' }),
        statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
        requestId: Type.String({ description: 'Also in the X-Request-Id response header' }),
        details: Type.Optional(
          Type.Array(
            Type.Object(
              {
                location: Type.Union([
                  Type.Literal('body'),
                  Type.Literal('querystring'),
                  Type.Literal('params'),
                  Type.Literal('headers'),
                ]),
                path: Type.String({ description: 'JSON Pointer into that part of the request' }),
                message: Type.String(),
              },
              { additionalProperties: false },
            ),
            { maxItems: 20 },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { $id: ERROR_RESPONSE_ID, additionalProperties: false },
);

const retryAfter = (description: string) => ({
  type: 'integer',
  minimum: 0,
  description,
  examples: [RETRY_AFTER_SECONDS],
});

const RATE_LIMIT_HEADERS = {
  'retry-after': retryAfter('Seconds until this client may write again'),
  'x-ratelimit-limit': { type: 'integer', description: 'Write requests allowed per minute' },
  'x-ratelimit-remaining': { type: 'integer', description: 'Write requests left in this minute' },
  'x-ratelimit-reset': { type: 'integer', description: 'Seconds until the count starts again' },
};

/** What each error status means wherever it appears, its codes, and the headers sent with it. */
const ERRORS = {
  400: {
    description: `The request is not valid (${ErrorCode.validationFailed}, or ${ErrorCode.invalidJson} for a body that is not UTF-8 JSON); \`details\` names the fields`,
    example: {
      code: ErrorCode.validationFailed,
      message: 'The request is not valid',
      details: [{ location: 'body', path: '/lines/0/quantity', message: 'must be <= 1000' }],
    },
  },
  404: {
    description: 'No such resource',
    example: { code: ErrorCode.orderNotFound, message: 'Order 42 does not exist' },
  },
  413: {
    description: `The body is larger than BODY_LIMIT_BYTES (${ErrorCode.payloadTooLarge})`,
    example: {
      code: ErrorCode.payloadTooLarge,
      message: 'The request body is larger than this API accepts',
    },
  },
  415: {
    description: `The body is not sent as application/json (${ErrorCode.unsupportedMediaType})`,
    example: {
      code: ErrorCode.unsupportedMediaType,
      message: 'Send the request body as application/json',
    },
  },
  422: {
    description: 'Well-formed, but cannot be done',
    example: {
      code: ErrorCode.unknownProducts,
      message: 'Unknown product ids: 999',
      details: [{ location: 'body', path: '/lines/0/productId', message: 'product 999 does not exist' }],
    },
  },
  429: {
    description: `Too many write requests from this client (${ErrorCode.rateLimited}); retry after Retry-After seconds`,
    example: {
      code: ErrorCode.rateLimited,
      message: 'Too many write requests from this client; retry after the number of seconds in Retry-After',
    },
    headers: RATE_LIMIT_HEADERS,
  },
  503: {
    description: `The database is unavailable (${ErrorCode.databaseUnavailable}), a commit's outcome is unknown (${ErrorCode.commitOutcomeUnknown}), or this instance is shutting down (${ErrorCode.shuttingDown}); retry after Retry-After seconds`,
    example: {
      code: ErrorCode.databaseUnavailable,
      message: 'The database is unavailable; retry later',
    },
    headers: { 'retry-after': retryAfter('Seconds to wait before retrying') },
  },
} as const;

export type ErrorStatus = keyof typeof ERRORS;

const EXAMPLE_REQUEST_ID = '2f1c7c3e-8f0a-4a53-9d2e-1b7a4c1d5e60';

/**
 * The error response for `status`: the shared shape, its headers, an example. A route that says
 * more about the status passes its own `description` (and an `example` with the code it sends).
 */
export function errorResponse(
  status: ErrorStatus,
  description?: string,
  example: { code: string; message: string } = ERRORS[status].example,
): Record<string, unknown> {
  const known = ERRORS[status];
  return {
    description: description ?? known.description,
    ...('headers' in known && { headers: known.headers }),
    content: {
      'application/json': {
        schema: { $ref: `${ERROR_RESPONSE_ID}#` },
        example: { error: { ...example, statusCode: status, requestId: EXAMPLE_REQUEST_ID } },
      },
    },
  };
}

/** `errorResponse` for several statuses, keyed by status as Fastify's `response` schema wants them. */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, Record<string, unknown>> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status)]));
}

/** Every route may answer 503 SHUTTING_DOWN while the instance closes (plugins/shutdown.ts). */
export const SHUTTING_DOWN_RESPONSE = errorResponse(
  503,
  `This instance is shutting down (${ErrorCode.shuttingDown}); retry after Retry-After seconds`,
  { code: ErrorCode.shuttingDown, message: 'This instance is shutting down; retry the request' },
);
