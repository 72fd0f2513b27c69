/**
 * npm run drill — the proof that no request fails because a password changed: open-model load at a
 * fixed rate against N tasks while Secrets Manager rotates the database credentials, a verdict
 * (exit 0 only with no failed or dropped request, no lost write, no leaked password), and a JSON
 * and HTML report. docs/drill.md describes it; `npm run drill -- --help` lists the options.
 */
import { parseDrillArgs, USAGE, UsageError } from './options.js';
import { runDrill } from './run.js';

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
  const { exitCode } = await runDrill(options, (line) => {
    console.log(line);
  });
  process.exitCode = exitCode;
} catch (err) {
  console.error(`drill could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 3;
}
// Anything left (SDK sockets, timers) must not keep the process alive past the verdict.
setTimeout(() => process.exit(), 2000).unref();
