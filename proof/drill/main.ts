/**
 * npm run drill — the proof that no request fails because a password changed: open-model load at a
 * fixed rate against N tasks while Secrets Manager rotates the database credentials, a verdict
 * (exit 0 only with no failed or dropped request, no lost write, no leaked password), and a JSON
 * and HTML report. docs/drill.md describes it; `npm run drill -- --help` lists the options.
 */
import { parseDrillArgs, USAGE, UsageError } from './options.js';
import { repeatSummary } from './repeat.js';
import { runDrill, type DrillResult } from './run.js';

let options;
try {
  options = parseDrillArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  if (err.message) console.error(err.message);
  console.error(USAGE);
  process.exit(err.message ? 2 : 0);
}

try {
  const results: DrillResult[] = [];
  for (let run = 1; run <= options.repeat; run++) {
    if (options.repeat > 1) console.log(`\n=== run ${run}/${options.repeat} ===`);
    results.push(
      await runDrill(options, (line) => {
        console.log(line);
      }),
    );
  }
  if (options.repeat > 1) {
    const summary = repeatSummary(results);
    console.log(`\n${summary.lines.join('\n')}`);
  }
  process.exitCode = results.every((r) => r.exitCode === 0) ? 0 : 1;
} catch (err) {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`drill could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 3;
}
// Anything left (SDK sockets, timers) must not keep the process alive past the verdict.
setTimeout(() => process.exit(), 2000).unref();
