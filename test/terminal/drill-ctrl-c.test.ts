/**
 * `npm run drill` in a real terminal, stopped with the Ctrl-C key halfway: it stops its load, checks
 * and reports what ran, prints an INTERRUPTED verdict within the stated bound, exits 130, and
 * leaves no process behind (tasks, PostgreSQL). A second Ctrl-C stops at once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STOP_BOUNDS_MS } from '../../local/stop-bounds.js';
import type { DrillReport } from '../../proof/drill/report.js';
import { CTRL_C, runInTerminal, terminalScope, pressCtrlCAgain } from '../helpers/terminal.js';
import { describeProcesses, survivorsAfter } from '../helpers/process-tree.js';

const { dir: out, remember } = terminalScope('drill-ctrl-c');

const DRILL = `npm run drill -- --rotations 2 --duration 30 --rate 50 --out ${out}`;

describe('npm run drill in a terminal', () => {
  it('one Ctrl-C after the first rotation: a partial report, INTERRUPTED, exit 130, nothing left', async () => {
    const run = runInTerminal(DRILL);
    await run.waitFor(/rotation 1\/2: version \w+ is AWSCURRENT/);
    const started = remember(run.processes());
    expect(describeProcesses(started)).toMatch(/postgres/);
    const pressedAt = Date.now();
    run.press(CTRL_C);
    const [verdict] = await run.waitFor(/^verdict: .*$/m);
    const verdictAfterMs = Date.now() - pressedAt;
    const { code } = await run.exited;

    expect(verdict).toMatch(/^verdict: INTERRUPTED \(Ctrl-C after \d+\.\d s of 30 s: a partial run/);
    expect(run.output()).toMatch(/load stopped \(Ctrl-C\): \d+ requests; checking what ran/);
    expect(code).toBe(130);
    expect(verdictAfterMs).toBeLessThanOrEqual(STOP_BOUNDS_MS.drill);
    const json = readdirSync(out).find((f) => f.endsWith('.json'));
    expect(run.output()).toContain(`report: ${join(out, json ?? '?')}`);
    const report = JSON.parse(readFileSync(join(out, json ?? ''), 'utf8')) as DrillReport;
    expect(report.interrupted?.reason).toBe('Ctrl-C');
    expect(report.interrupted?.afterSeconds).toBeLessThan(30);
    expect(report.verdict.pass).toBe(false);
    // What ran was judged: this app through one rotation, under load, lost nothing.
    expect(report.totals.failed).toBe(0);
    expect(report.rotations.filter((r) => r.ok).length).toBeGreaterThanOrEqual(1);
    expect(report.writes.lost).toBe(0);
    expect(report.tasks.map((t) => t.exitCode)).toEqual([0, 0]);
    expect(describeProcesses(await survivorsAfter(started, 2000))).toBe('');
  }, 120_000);

  it('Ctrl-C while it starts, then a second one: stops at once, no report, nothing left running', async () => {
    const run = runInTerminal(DRILL);
    // Start-up keeps starting processes (the tasks) until the second press: watch them all.
    const watch = run.watchProcesses();
    await run.waitFor(/rotation function registered/);
    run.press(CTRL_C);
    const pressedAt = Date.now();
    await run.waitFor(/Ctrl-C: stopping once start-up is done/);
    await pressCtrlCAgain(run, pressedAt);
    const [verdict] = await run.waitFor(/^verdict: .*$/m);
    const { code } = await run.exited;
    const started = remember(watch.stop());

    expect(verdict).toBe('verdict: INTERRUPTED (second Ctrl-C: stopped at once, no report)');
    expect(code).toBe(130);
    expect(describeProcesses(started)).toMatch(/postgres/);
    expect(describeProcesses(await survivorsAfter(started, 5000))).toBe('');
  }, 120_000);
});
