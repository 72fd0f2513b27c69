/**
 * Where a socket is asked to connect, read from `Socket.prototype.connect`'s arguments in every
 * form net accepts: `(options)`, `(port[, host])`, `(path)`, and the already-normalized array
 * `[options, callback]` that `net.connect` and `http.Agent` pass on.
 */

export type Destination = { kind: 'tcp'; host: string; port: number } | { kind: 'ipc'; path: string };

/** What the guard lets through: named host:port pairs, or every local destination. */
export type EgressPolicy = { kind: 'local' } | { kind: 'only'; endpoints: { host: string; port: number }[] };

interface ConnectOptions {
  host?: unknown;
  port?: unknown;
  path?: unknown;
}

/** net's default host when none is given. */
const DEFAULT_HOST = 'localhost';

export function destinationOf(args: readonly unknown[]): Destination {
  const first = args[0];
  if (Array.isArray(first)) return fromOptions((first[0] ?? {}) as ConnectOptions);
  if (first !== null && typeof first === 'object') return fromOptions(first);
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { kind: 'ipc', path: first };
  const host = typeof args[1] === 'string' ? args[1] : DEFAULT_HOST;
  return { kind: 'tcp', host, port: Number(first) };
}

function fromOptions(o: ConnectOptions): Destination {
  if (typeof o.path === 'string' && o.path.length > 0) return { kind: 'ipc', path: o.path };
  const host = typeof o.host === 'string' && o.host.length > 0 ? o.host : DEFAULT_HOST;
  return { kind: 'tcp', host, port: Number(o.port) };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

export function describeDestination(d: Destination): string {
  if (d.kind === 'ipc') return `unix:${d.path}`;
  return d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

/** Two hosts name the same place when they are equal, or both loopback (localhost is 127.0.0.1). */
const sameHost = (a: string, b: string) =>
  a.toLowerCase() === b.toLowerCase() || (isLoopback(a) && isLoopback(b));

export function isAllowed(d: Destination, policy: EgressPolicy): boolean {
  if (policy.kind === 'local') return d.kind === 'ipc' || isLoopback(d.host);
  if (d.kind === 'ipc') return false;
  return policy.endpoints.some((e) => e.port === d.port && sameHost(e.host, d.host));
}

/**
 * `local`, or a comma-separated list of `host:port` and URLs (`http://127.0.0.1:4566`): the form
 * of EGRESS_GUARD_ALLOW. Anything else is an error naming the entry.
 */
export function parsePolicy(text: string): EgressPolicy {
  if (text.trim() === 'local') return { kind: 'local' };
  const endpoints = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const url = URL.canParse(entry) && entry.includes('://') ? new URL(entry) : new URL(`tcp://${entry}`);
      const port = Number(
        url.port || (url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : NaN),
      );
      if (url.hostname === '' || !Number.isInteger(port) || port <= 0)
        throw new Error(`egress guard: "${entry}" is not host:port or a URL with a host`);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
    });
  return { kind: 'only', endpoints };
}
