/**
 * npm run audit — `npm audit --omit=dev`: fails on any high or critical advisory in what the image
 * ships (production dependencies). tools/audit-verdict.ts says how the answer is read.
 */
import { spawnSync } from 'node:child_process';
import { auditVerdict, type AuditReport } from './audit-verdict.js';

const result = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
let report: AuditReport;
try {
  report = JSON.parse(result.stdout) as AuditReport;
} catch {
  report = { message: (result.stderr || result.stdout || 'no output').trim().split('\n').at(-1) ?? '' };
}
const verdict = auditVerdict(report, process.env.REQUIRE_AUDIT === '1');
for (const { level, text } of verdict.lines) {
  if (level === 'info') console.log(text);
  else if (level === 'warning') console.warn(`WARNING: ${text}`);
  else console.error(text);
}
process.exitCode = verdict.pass ? 0 : 1;
