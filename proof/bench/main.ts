/**
 * npm run bench — the side-by-side benchmark: the baseline (plain pg.Pool, static credentials), this
 * app, the naive app and the AWS Advanced NodeJS Wrapper, on one machine, one database, one request
 * mix, one open-model load generator; rotations off (throughput at a latency target and at
 * saturation) and on (failed requests per strategy). docs/benchmarks.md describes it;
 * `npm run bench -- --help` lists the options.
 *
 * Exit code: 0 this app met its targets, 1 it missed one (the throughput target only with --strict),
 * 2 bad options, 3 the bench could not run.
 */
import { readFile } from 'node:fs/promises';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../../local/interrupts.js';
import { stopGroupsNow } from '../../local/own-group.js';
import { writeDocs } from './docs.js';
import { parseBenchArgs, USAGE, UsageError } from './options.js';
import type { BenchReport } from './report.js';
import { runBench } from './run.js';

const argv = process.argv.slice(2);
const options = parseOrExit(argv);

function parseOrExit(args: string[]): ReturnType<typeof parseBenchArgs> {
  try {
    return parseBenchArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) console.error(err.message);
    console.error(USAGE);
    process.exit(err.message ? 2 : 0);
  }
}

// No app process outlives the bench, whichever way it ends.
process.on('exit', () => stopGroupsNow());
// Ctrl-C stops at once: a benchmark cut short measures nothing, so there is no partial report.
const stopAtOnce = (reason: string) => {
  console.log(`${reason}: stopping the bench at once`);
  stopGroupsNow();
  console.log(`verdict: INTERRUPTED (${reason}: a benchmark cut short measures nothing; no report)`);
  process.exit(INTERRUPTED_EXIT_CODE);
};
onInterrupt({ stop: stopAtOnce, stopNow: stopAtOnce });
// Everything stops by itself: past the limit the children are stopped and the process exits (the
// embedded PostgreSQL is stopped and its data removed by its own exit hook).
const hardStop = setTimeout(() => {
  console.error(`bench: still running after ${options.maxMinutes} minutes; stopping everything`);
  stopGroupsNow();
  process.exit(3);
}, options.maxMinutes * 60_000);
hardStop.unref();

try {
  if (options.from !== undefined) {
    const parsed = JSON.parse(await readFile(options.from, 'utf8')) as { kind?: unknown };
    if (parsed.kind !== 'benchmark') throw new Error(`${options.from} is not a bench report`);
    const report = parsed as BenchReport;
    await writeDocs(report, options.from, options.docs ?? 'docs/benchmarks.md');
    console.log(`${options.docs ?? 'docs/benchmarks.md'} written from ${options.from}`);
  } else {
    const command = ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
    const { report, exitCode, file } = await runBench(options, command, (line) => {
      console.log(line);
    });
    if (options.docs !== undefined) {
      await writeDocs(report, file, options.docs);
      console.log(`${options.docs} written from ${file}`);
    }
    process.exitCode = exitCode;
  }
} catch (err) {
  console.error(`bench could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 3;
} finally {
  stopGroupsNow();
}
// Anything left (SDK sockets, timers) must not keep the process alive past the verdict.
setTimeout(() => process.exit(), 2000).unref();
