/**
 * `npm run bench` in a real terminal, stopped with the Ctrl-C key during its trials: a benchmark cut
 * short measures nothing, so it stops at once with an INTERRUPTED verdict and no report, exits 130,
 * and leaves no app process and no PostgreSQL behind.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STOP_BOUNDS_MS } from '../../local/stop-bounds.js';
import { CTRL_C, runInTerminal, terminalScope } from '../helpers/terminal.js';
import { describeProcesses, survivorsAfter, type ProcessRecord } from '../helpers/process-tree.js';

const { dir: out, remember } = terminalScope('bench-ctrl-c');

describe('npm run bench in a terminal', () => {
  it('Ctrl-C during the trials: INTERRUPTED at once, exit 130, no report, nothing left running', async () => {
    const run = runInTerminal(
      `npm run bench -- --quick --variants baseline,this-app --out ${out} --max-minutes 3`,
    );
    await run.waitFor(/stack ready/);
    // Ctrl-C while an app variant runs: no event says one has started, so look, bounded.
    const appRunning = (ps: ProcessRecord[]) =>
      ps.some((p) => /app\/src\/main\.ts|baseline-app/.test(p.command));
    let started = remember(run.processes());
    for (const deadline = Date.now() + 60_000; !appRunning(started) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      started = remember(run.processes());
    }
    expect(describeProcesses(started)).toMatch(/postgres/);
    expect(appRunning(started)).toBe(true);
    const pressedAt = Date.now();
    run.press(CTRL_C);
    const [verdict] = await run.waitFor(/^verdict: .*$/m);
    const verdictAfterMs = Date.now() - pressedAt;
    const { code } = await run.exited;

    expect(verdict).toBe('verdict: INTERRUPTED (Ctrl-C: a benchmark cut short measures nothing; no report)');
    expect(code).toBe(130);
    expect(verdictAfterMs).toBeLessThanOrEqual(STOP_BOUNDS_MS.bench);
    expect(readdirSync(out)).toEqual([]);
    expect(describeProcesses(await survivorsAfter(started, 5000))).toBe('');
  }, 120_000);
});
