/**
 * The egress guard: proof that a process contacts only the endpoints it is configured for. The
 * drill runs every task under it (preload.ts); the tests install it in-process (guard.ts) or
 * around the CLIs they start.
 */
export { describeDestination, destinationOf, isAllowed, isLoopback, parsePolicy } from './destination.js';
export type { Destination, EgressPolicy } from './destination.js';
export { installEgressGuard, type EgressGuard, type Refusal } from './guard.js';
export {
  EGRESS_GUARD_NODE_ARGS,
  egressLine,
  egressProblems,
  readEgressReport,
  type EgressReport,
} from './report.js';
