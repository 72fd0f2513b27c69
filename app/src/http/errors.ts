import { STATUS_CODES } from 'node:http';
import { CommitOutcomeUnknownError, DatabaseUnavailableError } from '../db/database.js';

/**
 * One error shape for every non-2xx response the API produces:
 *
 *   { "error": { "code": "VALIDATION_FAILED", "message": "...", "statusCode": 400,
 *                "requestId": "...", "details": [ { "location": "body", "path": "/lines/0/quantity",
 *                                                   "message": "must be <= 1000" } ] } }
 *
 * `code` is stable and meant for programs; `message` is for people and may change. `details` only
 * appears where there is something field-specific to say. Messages are fixed strings or built from
 * validated values: request bodies, raw header values and driver error texts are never echoed.
 */
export interface ErrorDetail {
  location: 'body' | 'querystring' | 'params' | 'headers';
  /** JSON Pointer into that part of the request ("" is the part itself). */
  path: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    statusCode: number;
    requestId: string;
    details?: ErrorDetail[];
  };
}

export const ErrorCode = {
  validationFailed: 'VALIDATION_FAILED',
  invalidJson: 'INVALID_JSON',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  routeNotFound: 'ROUTE_NOT_FOUND',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  productNotFound: 'PRODUCT_NOT_FOUND',
  orderNotFound: 'ORDER_NOT_FOUND',
  unknownProducts: 'UNKNOWN_PRODUCTS',
  idempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  rateLimited: 'RATE_LIMITED',
  databaseUnavailable: 'DATABASE_UNAVAILABLE',
  commitOutcomeUnknown: 'COMMIT_OUTCOME_UNKNOWN',
  shuttingDown: 'SHUTTING_DOWN',
  internal: 'INTERNAL_ERROR',
} as const;

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** An error whose status, code and message are meant for the client as they are. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function validationFailed(details: ErrorDetail[]): HttpError {
  return new HttpError(400, ErrorCode.validationFailed, 'The request is not valid', details);
}

/** What the error handler sends, and how loudly it is logged. */
export interface ErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  code: string;
  message: string;
  details?: ErrorDetail[];
  /** `error`: a fault on our side (logged with its stack); `warn`: dependency trouble; `info`: the client's mistake. */
  logLevel: 'error' | 'warn' | 'info';
}

const MAX_DETAILS = 20;

/** Fastify error codes that describe a malformed request, with the code and message we answer with. */
const FRAMEWORK_ERRORS: Readonly<Record<string, { statusCode: number; code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    statusCode: 413,
    code: ErrorCode.payloadTooLarge,
    message: 'The request body is larger than this API accepts',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    statusCode: 415,
    code: ErrorCode.unsupportedMediaType,
    message: 'Send the request body as application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    statusCode: 400,
    code: ErrorCode.invalidJson,
    message: 'The request body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    statusCode: 400,
    code: ErrorCode.invalidJson,
    message: 'The request body is empty but its content type is application/json',
  },
};

/** Turns anything thrown while handling a request into the response the client gets. */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return {
      statusCode: error.statusCode,
      headers: { ...error.headers },
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details.slice(0, MAX_DETAILS) } : {}),
      logLevel: error.statusCode >= 500 ? 'warn' : 'info',
    };
  }
  if (error instanceof DatabaseUnavailableError) {
    return {
      statusCode: 503,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      code: ErrorCode.databaseUnavailable,
      message: 'The database is unavailable; retry later',
      logLevel: 'warn',
    };
  }
  if (error instanceof CommitOutcomeUnknownError) {
    return {
      statusCode: 503,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      code: ErrorCode.commitOutcomeUnknown,
      message:
        'The connection to the database was lost while committing, so the change may or may not have been saved; ' +
        'retry with the same Idempotency-Key',
      logLevel: 'warn',
    };
  }

  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const validation = fields['validation'];
  if (Array.isArray(validation)) {
    const location = toLocation(fields['validationContext']);
    return {
      statusCode: 400,
      headers: {},
      code: ErrorCode.validationFailed,
      message: 'The request is not valid',
      details: validation.slice(0, MAX_DETAILS).map((issue) => toDetail(location, issue)),
      logLevel: 'info',
    };
  }

  const known = typeof fields['code'] === 'string' ? FRAMEWORK_ERRORS[fields['code']] : undefined;
  if (known) return { ...known, headers: {}, logLevel: 'info' };

  // Any other client error raised by Fastify or Node (bad URL encoding, body shorter than its
  // Content-Length, aborted upload, ...): keep the status, never the message, which may quote input.
  const status = fields['statusCode'];
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500) {
    const phrase = STATUS_CODES[status] ?? 'Bad Request';
    return {
      statusCode: status,
      headers: {},
      code: phrase.toUpperCase().replace(/[^A-Z]+/g, '_'),
      message: phrase,
      logLevel: 'info',
    };
  }

  return {
    statusCode: 500,
    headers: {},
    code: ErrorCode.internal,
    message: 'An unexpected error occurred',
    logLevel: 'error',
  };
}

export function errorBody(
  response: Omit<ErrorResponse, 'headers' | 'logLevel'>,
  requestId: string,
): ErrorBody {
  return {
    error: {
      code: response.code,
      message: response.message,
      statusCode: response.statusCode,
      requestId,
      ...(response.details ? { details: response.details } : {}),
    },
  };
}

function toLocation(context: unknown): ErrorDetail['location'] {
  return context === 'querystring' || context === 'params' || context === 'headers' ? context : 'body';
}

/** One schema violation (Ajv and TypeBox report the same shape) as a detail. */
function toDetail(location: ErrorDetail['location'], issue: unknown): ErrorDetail {
  const fields = typeof issue === 'object' && issue !== null ? (issue as Record<string, unknown>) : {};
  const path = typeof fields['instancePath'] === 'string' ? fields['instancePath'] : '';
  // TypeBox reports a property that `additionalProperties: false` forbids as "schema is false".
  const message =
    fields['keyword'] === 'boolean'
      ? 'is not an allowed property'
      : typeof fields['message'] === 'string'
        ? fields['message']
        : 'is not valid';
  return { location, path, message };
}
