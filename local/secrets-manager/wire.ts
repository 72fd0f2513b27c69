/**
 * AWS JSON 1.1 over HTTP, as Secrets Manager speaks it: `POST /` with
 * `X-Amz-Target: secretsmanager.<Operation>`, a JSON object in and out, and errors as
 * `{"__type": "<ExceptionName>", "message": "..."}` with the name repeated in `x-amzn-errortype`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject } from './input.js';
import { ServiceError } from './service-error.js';

export const JSON_1_1 = 'application/x-amz-json-1.1';

/** Secret values are at most 64 KiB; this leaves room for the JSON around one. */
const MAX_BODY_BYTES = 1024 * 1024;

const TARGET_PREFIX = 'secretsmanager.';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`Request body larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The operation named by `X-Amz-Target`, or UnknownOperationException. */
export function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (
    typeof target === 'string' &&
    target.startsWith(TARGET_PREFIX) &&
    target.length > TARGET_PREFIX.length
  ) {
    return target.slice(TARGET_PREFIX.length);
  }
  throw new ServiceError(
    'UnknownOperationException',
    'The X-Amz-Target header does not name a Secrets Manager operation.',
  );
}

export function parseInput(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isJsonObject(parsed))
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: JsonObject,
  headers: Record<string, string> = {},
  contentType = JSON_1_1,
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(payload);
}

export function sendServiceError(res: ServerResponse, error: ServiceError): void {
  sendJson(
    res,
    error.status,
    { __type: error.type, message: error.message },
    { 'x-amzn-errortype': error.type },
  );
}
