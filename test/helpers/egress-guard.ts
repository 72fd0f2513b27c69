/**
 * The egress guard around the whole suite: every test process runs under it with the `local`
 * policy (loopback and unix sockets only), and a test during which anything else was attempted
 * fails, naming the destination. The attempt itself is refused, so nothing leaves the machine.
 * Wired in vitest.config.ts as a setup file (egress-guard-setup.ts).
 */
import { installEgressGuard, parsePolicy, type EgressGuard } from '../../proof/egress/index.js';

const KEY = Symbol.for('rotating-credentials.suite-egress-guard');

/** One guard per process, however many test files the process runs. */
export function suiteEgressGuard(): EgressGuard {
  const holder = globalThis as { [KEY]?: EgressGuard };
  holder[KEY] ??= installEgressGuard(parsePolicy('local'));
  return holder[KEY];
}

/** Throws when anything but loopback was attempted since the last call. */
export function assertOnlyLoopbackSinceLastCheck(): void {
  const refused = suiteEgressGuard().take();
  if (refused.length === 0) return;
  const first = refused[0];
  throw new Error(
    `egress guard: ${refused.length} connection attempts outside loopback: ` +
      `${[...new Set(refused.map((r) => r.destination))].join(', ')}\n  ${first?.stack.join('\n  ') ?? ''}`,
  );
}
