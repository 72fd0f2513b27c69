/** vitest setup file: the suite's egress guard (egress-guard.ts), checked after every test. */
import { afterEach } from 'vitest';
import { assertOnlyLoopbackSinceLastCheck, suiteEgressGuard } from './egress-guard.js';

suiteEgressGuard();
afterEach(() => {
  assertOnlyLoopbackSinceLastCheck();
});
