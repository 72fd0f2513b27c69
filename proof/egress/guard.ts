/**
 * The egress guard: every outbound socket of this process passes `Socket.prototype.connect` (net,
 * tls, http, undici's fetch, pg), so wrapping it sees every TCP and unix-socket connection attempt
 * before a packet leaves. An attempt the policy does not allow is refused: the socket fails with
 * EGRESS_REFUSED on the next tick, the destination is never resolved or contacted, and the attempt
 * is recorded with the stack that made it. UDP is not watched: nothing in the app speaks it.
 */
import net from 'node:net';
import {
  describeDestination,
  destinationOf,
  isAllowed,
  type Destination,
  type EgressPolicy,
} from './destination.js';

export interface Refusal {
  destination: string;
  /** The frames that asked for the connection, the guard's own left out. */
  stack: string[];
}

export interface EgressGuard {
  /** Allowed attempts by destination. */
  readonly allowed: Map<string, number>;
  /** Refused attempts so far. */
  readonly refused: readonly Refusal[];
  /** The refusals so far, forgotten once taken. */
  take(): Refusal[];
  uninstall(): void;
}

const STACK_FRAMES = 12;

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;

export function installEgressGuard(
  policy: EgressPolicy,
  hooks: { onRefused?: (r: Refusal) => void; onAllowed?: (destination: Destination) => void } = {},
): EgressGuard {
  const proto = net.Socket.prototype as unknown as { connect: Connect };
  const original = proto.connect;
  const allowed = new Map<string, number>();
  let refused: Refusal[] = [];

  proto.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    const destination = destinationOf(args);
    const name = describeDestination(destination);
    if (isAllowed(destination, policy)) {
      allowed.set(name, (allowed.get(name) ?? 0) + 1);
      hooks.onAllowed?.(destination);
      return original.apply(this, args);
    }
    const refusal: Refusal = { destination: name, stack: callerFrames() };
    refused.push(refusal);
    hooks.onRefused?.(refusal);
    const err = Object.assign(
      new Error(`egress guard: connection to ${name} refused (not a configured endpoint)`),
      {
        code: 'EGRESS_REFUSED',
      },
    );
    process.nextTick(() => this.destroy(err));
    return this;
  };

  return {
    allowed,
    get refused() {
      return refused;
    },
    take() {
      const taken = refused;
      refused = [];
      return taken;
    },
    uninstall() {
      proto.connect = original;
    },
  };
}

function callerFrames(): string[] {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  return frames
    .filter((f) => !f.includes('guardedConnect') && !f.includes('callerFrames'))
    .slice(0, STACK_FRAMES);
}
