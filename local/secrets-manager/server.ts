/**
 * The HTTP server: the Secrets Manager protocol on `POST /`, the control API under /_local.
 * Plain node:http: one protocol route and a handful of control routes need no framework.
 *
 * Per API request: caller from the Authorization header → operation from X-Amz-Target → injected
 * faults (delay, then error/throttle/outage) → the operation → one call-log record.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { callerFromAuthorization, type CallLog, type CallRecord } from './call-log.js';
import { CONTROL_PREFIX, handleControlRequest } from './control-api.js';
import type { FaultController, FaultDecision } from './faults.js';
import type { JsonObject } from './input.js';
import { operations, secretIdOf } from './operations.js';
import type { RotationDispatcher } from './rotation-dispatcher.js';
import type { SecretStore } from './secret-store.js';
import { ServiceError } from './service-error.js';
import { BodyTooLargeError, operationOf, parseInput, readBody, sendJson, sendServiceError } from './wire.js';

export interface EndpointState {
  region: string;
  store: SecretStore;
  faults: FaultController;
  calls: CallLog;
  rotation: RotationDispatcher;
}

export interface EndpointServer {
  server: Server;
  /** Drops held requests, stops listening and closes every connection. */
  close(): Promise<void>;
}

export function createEndpointServer(state: EndpointState): EndpointServer {
  const closing = new AbortController();

  const server = createServer((req, res) => {
    // A client that went away must not turn into an unhandled error here.
    res.on('error', () => undefined);
    const url = req.url ?? '/';
    const handled = url.startsWith(CONTROL_PREFIX)
      ? handleControlRequest(req, res, state)
      : handleApiRequest(req, res, state, closing.signal);
    handled.catch(() => {
      if (!res.headersSent) {
        sendServiceError(
          res,
          new ServiceError('InternalServiceError', 'An error occurred on the server side.'),
        );
      } else {
        res.destroy();
      }
    });
  });

  return {
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** Waits until the outage fault ends or the endpoint closes; true when the client is still waiting. */
async function holdDuringOutage(
  state: EndpointState,
  faultId: string,
  req: IncomingMessage,
  res: ServerResponse,
  closing: AbortSignal,
): Promise<boolean> {
  if (closing.aborted) return false;
  let onClose = (): void => undefined;
  const closed = new Promise<void>((resolve) => {
    onClose = resolve;
    closing.addEventListener('abort', onClose, { once: true });
  });
  await Promise.race([state.faults.whenEnded(faultId), closed]);
  closing.removeEventListener('abort', onClose);
  // Let pending socket events (a client that gave up) be read before deciding.
  await new Promise<void>((resolve) => setImmediate(resolve));
  // close() destroys every connection right after aborting, so a closing endpoint fails this too.
  return !res.destroyed && !req.socket.destroyed && !req.socket.readableEnded;
}

async function handleApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  state: EndpointState,
  closing: AbortSignal,
): Promise<void> {
  const started = Date.now();
  const record: CallRecord = {
    time: new Date(started).toISOString(),
    caller: callerFromAuthorization(req.headers.authorization),
    operation: typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : '(none)',
    outcome: 'ok',
    durationMs: 0,
  };
  const finish = (outcome: CallRecord['outcome'], status?: number, errorType?: string): void => {
    record.outcome = outcome;
    if (status !== undefined) record.status = status;
    if (errorType !== undefined) record.errorType = errorType;
    record.durationMs = Date.now() - started;
    state.calls.record(record);
  };
  const answerError = (error: ServiceError): void => {
    sendServiceError(res, error);
    finish('error', error.status, error.type);
  };

  let operation: string;
  let input: JsonObject;
  try {
    if (req.method !== 'POST') {
      throw new ServiceError(
        'UnknownOperationException',
        'Secrets Manager operations are POST requests to /.',
      );
    }
    operation = operationOf(req);
    record.operation = operation;
    input = parseInput(await readBody(req));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      answerError(new ServiceError('SerializationException', error.message));
      return;
    }
    if (error instanceof ServiceError) {
      answerError(error);
      return;
    }
    throw error;
  }
  const secretId = secretIdOf(operation, input);
  if (secretId !== undefined) record.secretId = secretId;

  const decision: FaultDecision = state.faults.decide(operation, record.caller);
  if (decision.delayMs > 0) {
    record.fault = 'latency';
    await delay(decision.delayMs);
  }
  const effect = decision.effect;
  if (effect) record.fault = effect.fault.kind;
  if (effect?.kind === 'error') {
    answerError(effect.error);
    return;
  }
  if (effect?.kind === 'outage') {
    if (effect.mode === 'reset' || !(await holdDuringOutage(state, effect.fault.id, req, res, closing))) {
      req.socket.destroy();
      finish('dropped');
      return;
    }
  }

  const handler = operations[operation];
  if (!handler) {
    answerError(new ServiceError('UnknownOperationException', `Operation ${operation} is not supported.`));
    return;
  }
  let output: JsonObject;
  try {
    output = handler(input, { store: state.store, rotation: state.rotation });
  } catch (error) {
    answerError(
      error instanceof ServiceError
        ? error
        : new ServiceError('InternalServiceError', 'An error occurred on the server side.'),
    );
    return;
  }
  sendJson(res, 200, output);
  finish('ok', 200);
}
