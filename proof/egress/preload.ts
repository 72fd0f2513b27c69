/**
 * The egress guard for a whole process, loaded before its entry point:
 *
 *   node --import tsx --import ./proof/egress/preload.ts <entry>   (EGRESS_GUARD_NODE_ARGS)
 *
 * EGRESS_GUARD_ALLOW  `local`, or the comma-separated host:port pairs and URLs the process may reach
 * EGRESS_GUARD_REPORT a file: one JSON line when the guard is armed, one per refused attempt (also
 *                     on stderr), and one with the allowed destinations when the process exits
 *
 * Read it with readEgressReport. A missing variable stops the process here: a guard that did not
 * arm must never look like a clean run.
 */
import { appendFileSync } from 'node:fs';
import { parsePolicy } from './destination.js';
import { installEgressGuard } from './guard.js';

const allow = process.env.EGRESS_GUARD_ALLOW;
const report = process.env.EGRESS_GUARD_REPORT;
if (allow === undefined || report === undefined || report === '')
  throw new Error('egress guard: set EGRESS_GUARD_ALLOW and EGRESS_GUARD_REPORT');

const policy = parsePolicy(allow);
const line = (event: Record<string, unknown>) => {
  appendFileSync(report, `${JSON.stringify({ ...event, pid: process.pid })}\n`);
};
const guard = installEgressGuard(policy, {
  onRefused(r) {
    line({ event: 'refused', ...r });
    process.stderr.write(`egress guard: refused a connection to ${r.destination}\n`);
  },
});
line({ event: 'armed', policy });
process.on('exit', () => {
  line({ event: 'exit', allowed: Object.fromEntries(guard.allowed) });
});
