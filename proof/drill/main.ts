/**
 * npm run drill — the proof that no request fails because a password changed: open-model load at a
 * fixed rate against N tasks while Secrets Manager rotates the database credentials, a verdict
 * (exit 0 only with no failed or dropped request, no lost write, no leaked password), and a JSON
 * and HTML report. docs/drill.md describes it; `npm run drill -- --help` lists the options.
 */
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../../local/interrupts.js';
import { stopGroupsNow } from '../../local/own-group.js';
import { parseDrillArgs, USAGE, UsageError } from './options.js';
import { repeatSummary } from './repeat.js';
import { DrillInterruptedError, runDrill, type DrillResult } from './run.js';

let options;
try {
  options = parseDrillArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  if (err.message) console.error(err.message);
  console.error(USAGE);
  process.exit(err.message ? 2 : 0);
}

// Ctrl-C: the run under way stops its load and reports what ran (INTERRUPTED, exit 130); no further
// run starts. A second one: every task, k6 and PostgreSQL stopped at once, no report.
const interrupt = new AbortController();
onInterrupt({
  stop: (reason) => {
    interrupt.abort(reason);
  },
  stopNow: (reason) => {
    console.log(`${reason}: stopping at once`);
    stopGroupsNow();
    console.log(`verdict: INTERRUPTED (${reason}: stopped at once, no report)`);
    process.exit(INTERRUPTED_EXIT_CODE);
  },
});

try {
  const results: DrillResult[] = [];
  for (let run = 1; run <= options.repeat && !interrupt.signal.aborted; run++) {
    if (options.repeat > 1) console.log(`\n=== run ${run}/${options.repeat} ===`);
    results.push(
      await runDrill(
        options,
        (line) => {
          console.log(line);
        },
        interrupt.signal,
      ),
    );
  }
  if (options.repeat > 1) {
    const summary = repeatSummary(results);
    console.log(`\n${summary.lines.join('\n')}`);
  }
  process.exitCode = interrupt.signal.aborted
    ? INTERRUPTED_EXIT_CODE
    : results.every((r) => r.exitCode === 0)
      ? 0
      : 1;
} catch (err) {
  if (err instanceof DrillInterruptedError) {
    console.log(`verdict: INTERRUPTED (${err.message}: no report)`);
    process.exit(INTERRUPTED_EXIT_CODE);
  }
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`drill could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 3;
}
// Anything left (SDK sockets, timers) must not keep the process alive past the verdict.
setTimeout(() => process.exit(), 2000).unref();
