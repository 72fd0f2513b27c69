/**
 * The guard in this process, against real listening servers on loopback: an allowed connection
 * goes through; a refused one fails with EGRESS_REFUSED and never reaches its server, even though
 * a server listens there. (Installed over the suite's own guard: this one decides first.)
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installEgressGuard, parsePolicy, type EgressGuard } from '../../../proof/egress/index.js';

async function listen(): Promise<{ server: net.Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port, accepted: () => accepted };
}

const outcome = (socket: net.Socket) =>
  new Promise<string>((resolve) => {
    socket.once('connect', () => {
      socket.end();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code ?? e.message);
    });
  });

describe('the egress guard', () => {
  let allowed: Awaited<ReturnType<typeof listen>>;
  let forbidden: Awaited<ReturnType<typeof listen>>;
  let guard: EgressGuard;

  beforeEach(async () => {
    [allowed, forbidden] = await Promise.all([listen(), listen()]);
    guard = installEgressGuard(parsePolicy(`127.0.0.1:${allowed.port}`));
  });

  afterEach(async () => {
    guard.uninstall();
    allowed.server.close();
    forbidden.server.close();
    await Promise.all([once(allowed.server, 'close'), once(forbidden.server, 'close')]);
  });

  it('lets the configured endpoint through and counts it', async () => {
    expect(await outcome(net.connect(allowed.port, '127.0.0.1'))).toBe('connected');
    expect(guard.allowed.get(`127.0.0.1:${allowed.port}`)).toBe(1);
    expect(guard.refused).toEqual([]);
  });

  it('refuses anything else before a packet leaves, with the stack that asked', async () => {
    expect(await outcome(net.connect({ host: 'localhost', port: forbidden.port }))).toBe('EGRESS_REFUSED');
    // through http too (the agent passes normalized arguments)
    const failed = await fetch(`http://127.0.0.1:${forbidden.port}/`).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    const refused = guard.take();
    expect(refused.map((r) => r.destination)).toEqual([
      `localhost:${forbidden.port}`,
      `127.0.0.1:${forbidden.port}`,
    ]);
    expect(refused[0]?.stack.join('\n')).toMatch(/guard\.test\.ts/);
    expect(forbidden.accepted()).toBe(0);
    expect(guard.refused).toEqual([]);
  });
});
