/** One HTTP exchange over a keep-alive agent, with a hard timeout; never throws. */
import http from 'node:http';

export interface Exchange {
  status?: number;
  body?: string;
  /** Error name (ECONNRESET, timeout, …) when there was no complete answer. */
  error?: string;
}

export function createAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

export function exchange(
  agent: http.Agent,
  url: URL,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    keepBody: boolean;
  },
): Promise<Exchange> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = http.request(url, { method: init.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (init.keepBody) chunks.push(chunk);
      });
      res.on('end', () => {
        done({
          status: res.statusCode ?? 0,
          ...(init.keepBody && { body: Buffer.concat(chunks).toString('utf8') }),
        });
      });
      res.on('error', (err: NodeJS.ErrnoException) => {
        done({ error: err.code ?? err.name });
      });
    });
    const timer = setTimeout(() => {
      done({ error: 'timeout' });
      req.destroy();
    }, init.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      done({ error: err.code ?? err.name });
    });
    req.end(init.body);
  });
}
