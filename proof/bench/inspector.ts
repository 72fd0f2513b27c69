/**
 * A measured process's V8 heap, through the Node inspector it was started with
 * (`--inspect=127.0.0.1:0`: loopback only, a port of its own) and the Chrome DevTools Protocol over
 * Node's global WebSocket. Nothing is added to the app for it.
 */

export interface Inspector {
  /** One protocol command; resolves with its result, rejects with its error or after the timeout. */
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

/** The inspector's address, from the line Node prints on stderr when it starts listening. */
export function inspectorUrlOf(line: string): string | null {
  return /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1] ?? null;
}

export const INSPECTOR_PATTERN = /Debugger listening on ws:\/\//;

export async function connectInspector(url: string, timeoutMs = 10_000): Promise<Inspector> {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new Error(`the inspector must listen on loopback, not ${host}`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no inspector connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.addEventListener('open', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.addEventListener('error', (event) => {
      clearTimeout(timer);
      const detail = 'message' in event && typeof event.message === 'string' ? `: ${event.message}` : '';
      reject(new Error(`the inspector connection to ${url} failed${detail}`));
    });
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  socket.addEventListener('message', (event) => {
    let message: { id?: number; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(String(event.data)) as typeof message;
    } catch {
      return;
    }
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter || message.id === undefined) return; // an event: not asked for
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message ?? 'inspector error'));
    else waiter.resolve(message.result);
  });
  socket.addEventListener('close', () => {
    for (const w of pending.values()) w.reject(new Error('the inspector connection closed'));
    pending.clear();
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close() {
      socket.close();
    },
  };
}

/**
 * V8 heap used (bytes) after forced full collections: twice, since objects with finalizers or weak
 * references held by the first may be freed only by the second.
 */
export async function heapUsedAfterGc(inspector: Inspector): Promise<number> {
  await inspector.send('HeapProfiler.collectGarbage');
  await inspector.send('HeapProfiler.collectGarbage');
  const { usedSize } = await inspector.send<{ usedSize: number }>('Runtime.getHeapUsage');
  return usedSize;
}
