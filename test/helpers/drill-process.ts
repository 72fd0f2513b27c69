/**
 * `npm run drill` as its own process, as CI and users run it; its report read back. Each run gets a
 * temporary report directory, removed when the test file ends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { DrillReport } from '../../proof/drill/report.js';

const MAIN = fileURLToPath(new URL('../../proof/drill/main.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export interface DrillRun {
  code: number | null;
  out: string;
  report: DrillReport;
  html: string;
  seconds: number;
}

export async function runDrillProcess(args: string[]): Promise<DrillRun> {
  const out = mkdtempSync(join(tmpdir(), 'drill-test-'));
  dirs.push(out);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--out', out, '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (text += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const files = readdirSync(out);
  const json = files.find((f) => f.endsWith('.json'));
  const html = files.find((f) => f.endsWith('.html'));
  if (json === undefined || html === undefined) throw new Error(`no report written (exit ${code}):\n${text}`);
  return {
    code,
    out: text,
    report: JSON.parse(readFileSync(join(out, json), 'utf8')) as DrillReport,
    html: readFileSync(join(out, html), 'utf8'),
    seconds: (performance.now() - started) / 1000,
  };
}
