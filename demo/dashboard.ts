/**
 * The demo's dashboard: a small HTTP server on 127.0.0.1 (never part of the app, never in the
 * image) with one self-contained page (dashboard.html; uPlot served from node_modules, no CDN),
 * a Server-Sent Events feed (one `status` event per second, a `rotations` event on each rotation
 * step), a JSON snapshot, and a "Rotate now" endpoint that calls RotateSecret exactly as the
 * demo's timer does.
 *
 *   GET  /                      the page
 *   GET  /events                SSE: hello (history), status (each second), rotations, bye
 *   GET  /api/status            the same as JSON
 *   POST /api/rotate            RotateSecret through the admin client (JSON body; 202 or 409)
 *   GET  /vendor/uPlot.*        uPlot from node_modules/uplot/dist
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RotationStrategy } from '../rotation/public.js';
import type { RotationFailedError, RotationReport, StepInvocation } from '../local/rotator/index.js';
import type { LoadSecondReport } from './gentle-load.js';

/** What a task's /health/ready said (or that it did not answer). */
export interface TaskStatus {
  name: string;
  url: string;
  /** False when /health/ready did not answer in time. */
  reachable: boolean;
  ready: boolean;
  draining: boolean;
  username: string | null;
  versionId: string | null;
  stage: string | null;
  poolGeneration: number | null;
  poolTotal: number | null;
  poolIdle: number | null;
}

export interface SecondStatus extends LoadSecondReport {
  /** Epoch milliseconds at the end of the second. */
  at: number;
}

export interface StatusEvent {
  second: SecondStatus;
  totals: { sent: number; ok: number; failed: number };
  tasks: TaskStatus[];
  rotations: { done: number; failed: number };
  /** Epoch milliseconds of the timer's next RotateSecret; null once stopping. */
  nextRotationAt: number | null;
}

export type RotationSource = 'timer' | 'dashboard' | 'other';

export interface RotationStepEntry {
  step: string;
  attempt: number;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  outcome?: string;
  errorType?: string;
}

/** One RotateSecret as the timeline shows it: refused at once, or rotated (or failed) step by step. */
export interface RotationEntry {
  /** The version id, or `refused-<n>` for a refused RotateSecret. */
  id: string;
  versionId: string | null;
  source: RotationSource;
  state: 'running' | 'done' | 'failed' | 'refused';
  /** Epoch milliseconds: when RotateSecret was answered (or the first step, if that came first). */
  requestedAt: number;
  finishedAt: number | null;
  steps: RotationStepEntry[];
  attempts: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface DashboardInfo {
  strategy: RotationStrategy;
  everySeconds: number;
  rate: number;
  taskCount: number;
  durationSeconds: number;
  secretId: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

export type RotateOutcome =
  { status: 'requested'; versionId: string | null } | { status: 'refused'; error: string; message: string };

export interface DemoDashboard {
  /** One call per second, from the demo's status loop. */
  recordSecond(status: StatusEvent): void;
  /** RotateSecret was answered with a new version. */
  rotationRequested(source: RotationSource, versionId: string | undefined): void;
  /** RotateSecret was refused (a rotation in progress, usually). */
  rotationRefused(source: RotationSource, error: string, message: string): void;
  /** The stack's rotation hooks. */
  onStep(invocation: StepInvocation): void;
  onRotation(report: RotationReport): void;
  onFailure(error: RotationFailedError): void;
  /** Starts the server; `port` 0 picks a free one, a busy port falls back to a free one. */
  listen(port: number): Promise<{ url: string; fellBackFrom?: number }>;
  /** Ends the SSE streams and closes the server. Safe to call more than once or before listen(). */
  close(): Promise<void>;
}

const HISTORY_SECONDS = 600;
const MAX_ROTATIONS = 100;

const require = createRequire(import.meta.url);

export function createDashboard(input: {
  info: DashboardInfo;
  /** RotateSecret, exactly as the timer calls it. */
  rotate: () => Promise<RotateOutcome>;
}): DemoDashboard {
  const { info } = input;
  const assets = new Map<string, { type: string; body: Buffer }>([
    [
      '/',
      {
        type: 'text/html; charset=utf-8',
        body: readFileSync(fileURLToPath(new URL('./dashboard.html', import.meta.url))),
      },
    ],
    [
      '/vendor/uPlot.iife.min.js',
      {
        type: 'text/javascript; charset=utf-8',
        body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')),
      },
    ],
    [
      '/vendor/uPlot.min.css',
      { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) },
    ],
  ]);

  const history: StatusEvent[] = [];
  const rotations: RotationEntry[] = [];
  const streams = new Set<ServerResponse>();
  let refusals = 0;
  let closed = false;
  let server: Server | undefined;

  const send = (res: ServerResponse, event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const broadcast = (event: string, data: unknown): void => {
    for (const res of streams) send(res, event, data);
  };
  const snapshot = () => ({ info, history, rotations });

  const entryFor = (versionId: string, at: number): RotationEntry => {
    let entry = rotations.find((r) => r.versionId === versionId);
    if (!entry) {
      entry = {
        id: versionId,
        versionId,
        source: 'other',
        state: 'running',
        requestedAt: at,
        finishedAt: null,
        steps: [],
        attempts: null,
        durationMs: null,
        error: null,
      };
      rotations.push(entry);
      if (rotations.length > MAX_ROTATIONS) rotations.shift();
    }
    return entry;
  };
  const rotationsChanged = (): void => {
    broadcast('rotations', rotations);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const asset = assets.get(path);
    if (asset && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-store',
        // Everything the page needs comes from this server: no CDN, no internet.
        'content-security-policy':
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
      });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/api/status' && req.method === 'GET') {
      json(res, 200, snapshot());
      return;
    }
    if (path === '/events' && req.method === 'GET') {
      if (closed) {
        json(res, 503, { error: 'the demo is stopping' });
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      send(res, 'hello', snapshot());
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (path === '/api/rotate') {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      // A JSON content type cannot come from a cross-site form, and a cross-site fetch with it needs
      // a CORS preflight this server never grants: only the page (or curl) can rotate.
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        json(res, 415, { error: 'POST with content-type: application/json' });
        return;
      }
      req.resume();
      if (closed) {
        json(res, 503, { error: 'the demo is stopping' });
        return;
      }
      const outcome = await input.rotate();
      json(res, outcome.status === 'requested' ? 202 : 409, outcome);
      return;
    }
    json(res, asset ? 405 : 404, { error: asset ? 'method not allowed' : 'not found' });
  };

  return {
    recordSecond(status) {
      history.push(status);
      if (history.length > HISTORY_SECONDS) history.shift();
      broadcast('status', status);
    },
    rotationRequested(source, versionId) {
      if (versionId === undefined) return;
      const entry = entryFor(versionId, Date.now());
      entry.source = source;
      entry.requestedAt = Math.min(entry.requestedAt, Date.now());
      rotationsChanged();
    },
    rotationRefused(source, error, message) {
      const at = Date.now();
      rotations.push({
        id: `refused-${++refusals}`,
        versionId: null,
        source,
        state: 'refused',
        requestedAt: at,
        finishedAt: at,
        steps: [],
        attempts: null,
        durationMs: null,
        error: `${error}: ${message}`,
      });
      if (rotations.length > MAX_ROTATIONS) rotations.shift();
      rotationsChanged();
    },
    onStep(invocation) {
      const startedAt = invocation.startedAt.getTime();
      const entry = entryFor(invocation.versionId, startedAt);
      entry.steps.push({
        step: invocation.step,
        attempt: invocation.attempt,
        startedAt,
        durationMs: invocation.durationMs,
        ...(invocation.outcome !== undefined && { outcome: invocation.outcome }),
        ...(invocation.errorType !== undefined && { errorType: invocation.errorType }),
      });
      rotationsChanged();
    },
    onRotation(report) {
      const entry = entryFor(report.versionId, Date.now());
      entry.state = 'done';
      entry.finishedAt = Date.now();
      entry.attempts = report.attempts;
      entry.durationMs = report.durationMs;
      rotationsChanged();
    },
    onFailure(error) {
      const entry = entryFor(error.versionId, Date.now());
      entry.state = 'failed';
      entry.finishedAt = Date.now();
      entry.attempts = error.attempts;
      entry.error = error.message;
      rotationsChanged();
    },
    async listen(port) {
      const srv = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          if (!res.headersSent) json(res, 500, { error: err instanceof Error ? err.message : String(err) });
          else res.end();
        });
      });
      server = srv;
      let fellBackFrom: number | undefined;
      try {
        await listenOn(srv, port);
      } catch (err) {
        if (port === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        fellBackFrom = port;
        await listenOn(srv, 0);
      }
      const { port: bound } = srv.address() as AddressInfo;
      return { url: `http://127.0.0.1:${bound}`, ...(fellBackFrom !== undefined && { fellBackFrom }) };
    },
    async close() {
      if (closed) return;
      closed = true;
      broadcast('bye', { at: Date.now() });
      for (const res of streams) res.end();
      streams.clear();
      const srv = server;
      if (!srv?.listening) return;
      await new Promise<void>((resolve) => {
        srv.close(() => {
          resolve();
        });
        srv.closeAllConnections();
      });
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      reject(err);
    };
    server.once('error', onError);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
