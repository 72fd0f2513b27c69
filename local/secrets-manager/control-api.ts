/**
 * The endpoint's own HTTP routes under /_local, for a standalone process (the in-process object API
 * does the same): faults and the call log. Never subject to faults, never shows a secret value.
 *
 *   GET    /_local/health
 *   GET    /_local/faults          → { faults: ActiveFault[] }
 *   PUT    /_local/faults          body: a fault or a list of faults, added like faults.set()
 *   DELETE /_local/faults[/<id>]   clears all faults, or one
 *   GET    /_local/calls[?caller=&operation=]  → { calls: CallRecord[], byCaller }
 *   DELETE /_local/calls
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallLog } from './call-log.js';
import { FaultSpecError, parseFaultSpec, type FaultController } from './faults.js';
import { BodyTooLargeError, readBody, sendJson } from './wire.js';

export const CONTROL_PREFIX = '/_local/';

const JSON_CONTENT = 'application/json';

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  sendJson(res, status, body, {}, JSON_CONTENT);
}

export async function handleControlRequest(
  req: IncomingMessage,
  res: ServerResponse,
  state: { faults: FaultController; calls: CallLog; region: string },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [resource, id] = url.pathname.slice(CONTROL_PREFIX.length).split('/');
  const method = req.method ?? 'GET';

  if (resource === 'health' && method === 'GET') {
    reply(res, 200, { ok: true, region: state.region });
    return;
  }
  if (resource === 'faults') {
    if (method === 'GET') {
      reply(res, 200, { faults: state.faults.list() });
      return;
    }
    if (method === 'PUT' && !id) {
      try {
        const body: unknown = JSON.parse((await readBody(req)).toString('utf8') || 'null');
        // Validate them all before setting any.
        const specs = (Array.isArray(body) ? body : [body]).map(parseFaultSpec);
        reply(res, 200, { faults: specs.map((spec) => state.faults.set(spec)) });
      } catch (error) {
        if (
          error instanceof FaultSpecError ||
          error instanceof SyntaxError ||
          error instanceof BodyTooLargeError
        ) {
          reply(res, 400, { message: error.message });
          return;
        }
        throw error;
      }
      return;
    }
    if (method === 'DELETE') {
      const cleared = state.faults.clear(id || undefined);
      if (id && cleared === 0) reply(res, 404, { message: `No active fault ${id}` });
      else reply(res, 200, { cleared });
      return;
    }
  }
  if (resource === 'calls' && !id) {
    if (method === 'GET') {
      const caller = url.searchParams.get('caller') ?? undefined;
      const operation = url.searchParams.get('operation') ?? undefined;
      reply(res, 200, {
        calls: state.calls.list({ ...(caller && { caller }), ...(operation && { operation }) }),
        byCaller: state.calls.byCaller(),
      });
      return;
    }
    if (method === 'DELETE') {
      state.calls.clear();
      reply(res, 200, { cleared: true });
      return;
    }
  }
  reply(res, 404, { message: `No route ${method} ${url.pathname}` });
}
