/** The egress guard's reading of connect arguments and its policy, without a socket. */
import { describe, expect, it } from 'vitest';
import { describeDestination, destinationOf, isAllowed, parsePolicy } from '../../../proof/egress/index.js';

describe('destinationOf: every form Socket.connect accepts', () => {
  it.each([
    ['options', [{ host: '127.0.0.1', port: 5432 }], '127.0.0.1:5432'],
    ['options without host (net defaults to localhost)', [{ port: 80 }], 'localhost:80'],
    ['port and host', [4566, '169.254.169.254'], '169.254.169.254:4566'],
    ['port as a string', ['8080'], 'localhost:8080'],
    ['a unix socket path', ['/run/podman/podman.sock'], 'unix:/run/podman/podman.sock'],
    ['options with a path', [{ path: '/tmp/s.sock' }], 'unix:/tmp/s.sock'],
    [
      'the normalized array from net.connect and http.Agent',
      [[{ host: '169.254.169.254', port: 80 }, null]],
      '169.254.169.254:80',
    ],
    ['an IPv6 host', [{ host: '::1', port: 3000 }], '[::1]:3000'],
  ])('%s', (_, args, expected) => {
    expect(describeDestination(destinationOf(args))).toBe(expected);
  });
});

describe('policy', () => {
  const only = parsePolicy('http://127.0.0.1:4566, 127.0.0.1:5432');

  it('allows exactly the configured endpoints; loopback names are one host', () => {
    expect(isAllowed({ kind: 'tcp', host: '127.0.0.1', port: 4566 }, only)).toBe(true);
    expect(isAllowed({ kind: 'tcp', host: 'localhost', port: 5432 }, only)).toBe(true);
    expect(isAllowed({ kind: 'tcp', host: '127.0.0.1', port: 5433 }, only)).toBe(false);
    expect(isAllowed({ kind: 'tcp', host: '169.254.169.254', port: 80 }, only)).toBe(false);
    expect(isAllowed({ kind: 'ipc', path: '/tmp/x' }, only)).toBe(false);
  });

  it('`local` allows loopback and unix sockets only', () => {
    const local = parsePolicy('local');
    expect(isAllowed({ kind: 'tcp', host: '127.0.0.2', port: 1 }, local)).toBe(true);
    expect(isAllowed({ kind: 'tcp', host: '::1', port: 1 }, local)).toBe(true);
    expect(isAllowed({ kind: 'ipc', path: '/run/podman/podman.sock' }, local)).toBe(true);
    expect(isAllowed({ kind: 'tcp', host: '169.254.169.254', port: 80 }, local)).toBe(false);
    expect(isAllowed({ kind: 'tcp', host: 'secretsmanager.us-east-1.amazonaws.com', port: 443 }, local)).toBe(
      false,
    );
  });

  it('a URL without a port takes its scheme default', () => {
    expect(parsePolicy('https://secretsmanager.eu-west-1.amazonaws.com')).toEqual({
      kind: 'only',
      endpoints: [{ host: 'secretsmanager.eu-west-1.amazonaws.com', port: 443 }],
    });
  });

  it('refuses an entry it cannot read, naming it', () => {
    expect(() => parsePolicy('127.0.0.1:4566,nonsense')).toThrow(/"nonsense" is not host:port/);
  });
});
