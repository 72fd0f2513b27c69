/**
 * `npm run demo` in a real terminal, stopped with the Ctrl-C key while a dashboard client holds its
 * event stream open: the verdict judges the run (PASS, exit 0) and comes within the stated bound,
 * and no process of the run is left, PostgreSQL included. A second Ctrl-C stops at once.
 */
import { describe, expect, it } from 'vitest';
import {
  CTRL_C,
  runInTerminal,
  terminalScope,
  pressCtrlCAgain,
  type TerminalRun,
} from '../helpers/terminal.js';
import { describeProcesses, survivorsAfter } from '../helpers/process-tree.js';
import { STOP_BOUNDS_MS } from '../../local/stop-bounds.js';
import { openEventStream } from '../helpers/event-stream.js';

const { remember } = terminalScope('demo-ctrl-c');

/** Starts the demo (rotating every 3 s) and waits for its dashboard and one finished rotation. */
async function demoAfterOneRotation(): Promise<{ run: TerminalRun; dashboard: string }> {
  const run = runInTerminal('npm run demo -- --dashboard-port 0 --every 3 --rate 20');
  const [, dashboard = ''] = await run.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)/);
  await run.waitFor(/rotation: /);
  return { run, dashboard };
}

describe('npm run demo in a terminal', () => {
  it('one Ctrl-C, with the dashboard open: PASS within the bound, exit 0, nothing left running', async () => {
    const { run, dashboard } = await demoAfterOneRotation();
    const events = await openEventStream(`${dashboard}/events`);
    await events.waitFor('status');

    const started = remember(run.processes());
    expect(describeProcesses(started)).toMatch(/postgres/);
    const pressedAt = Date.now();
    run.press(CTRL_C);
    await run.waitFor(/^verdict: .*$/m);
    const verdictAfterMs = Date.now() - pressedAt;
    const { code } = await run.exited;

    const output = run.output();
    expect(output).toMatch(/^verdict: PASS, no request failed$/m);
    expect(output).toMatch(/^tasks exited with 0, 0$/m);
    expect(code).toBe(0);
    expect(verdictAfterMs).toBeLessThanOrEqual(STOP_BOUNDS_MS.demo);
    // The dashboard said goodbye and closed its stream rather than holding the stop.
    await expect(events.ended).resolves.toContain('bye');
    expect(describeProcesses(await survivorsAfter(started, 2000))).toBe('');
  }, 120_000);

  it('a second Ctrl-C stops at once, says so, exits non-zero and leaves nothing running', async () => {
    const { run } = await demoAfterOneRotation();
    const started = remember(run.processes());
    run.press(CTRL_C);
    const pressedAt = Date.now();
    await run.waitFor(/stopping \(Ctrl-C\)/);
    await pressCtrlCAgain(run, pressedAt);
    await run.waitFor(/second Ctrl-C/);
    const { code } = await run.exited;

    expect(run.output()).toMatch(/^verdict: INTERRUPTED/m);
    expect(code).toBe(130);
    expect(describeProcesses(await survivorsAfter(started, 5000))).toBe('');
  }, 120_000);

  it('a demo that dies without stopping them leaves no task and no PostgreSQL behind', async () => {
    const { run } = await demoAfterOneRotation();
    const started = remember(run.processes());
    const demo = started.find((p) => p.command.includes('demo/main.ts'));
    expect(demo, describeProcesses(started)).toBeDefined();
    process.kill(demo?.pid ?? 0, 'SIGKILL');
    await run.exited;
    // Each child had asked for a signal when its parent dies: SIGKILL for the tasks, SIGQUIT
    // (immediate shutdown) for PostgreSQL.
    expect(describeProcesses(await survivorsAfter(started, 10_000))).toBe('');
  }, 120_000);
});
