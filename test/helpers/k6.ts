/**
 * k6 for the tests: the user's on PATH, else the pinned one in .cache/k6 (tools/k6/setup.sh).
 * Without one the k6 suites skip, unless REQUIRE_K6=1 (CI), where they fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6_SCRIPT, locateK6 } from '../../proof/load/index.js';

export const K6 = locateK6();
export const skipWithoutK6 = K6 === undefined && process.env.REQUIRE_K6 !== '1';

export interface K6Result {
  code: number | null;
  output: string;
  /** k6's end-of-test data, as handleSummary wrote it (null when the run never got there). */
  summary: { metrics: Record<string, { values: Record<string, number> }> } | null;
}

/** `k6 run load/k6/rotation.js` with `env` (PATH, HOME and the usage report switch added). */
export async function runK6Script(env: Record<string, string>): Promise<K6Result> {
  if (K6 === undefined)
    throw new Error('REQUIRE_K6=1, but there is no k6 on PATH or in .cache/k6: run tools/k6/setup.sh');
  const summaryPath = join(mkdtempSync(join(tmpdir(), 'k6-test-')), 'summary.json');
  const child = spawn(K6, ['run', '--quiet', '--no-color', K6_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      K6_NO_USAGE_REPORT: 'true',
      SUMMARY_PATH: summaryPath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  let summary: K6Result['summary'] = null;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as K6Result['summary'];
  } catch {
    // no summary: the run stopped at init or in setup
  }
  return { code, output, summary };
}

/** A figure of k6's summary: `metric('http_reqs{scenario:rotation}', 'count')`. */
export function k6Figure(result: K6Result, metric: string, stat: string): number | undefined {
  return result.summary?.metrics[metric]?.values[stat];
}
