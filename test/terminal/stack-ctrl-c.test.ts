/**
 * `npm run stack` in a real terminal, stopped with the Ctrl-C key: `stack stopped` within the stated
 * bound, exit 0, its env file removed, and no PostgreSQL left running.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STOP_BOUNDS_MS } from '../../local/stop-bounds.js';
import { CTRL_C, runInTerminal, terminalScope } from '../helpers/terminal.js';
import { describeProcesses, survivorsAfter } from '../helpers/process-tree.js';

const { dir, remember } = terminalScope('stack-ctrl-c');

describe('npm run stack in a terminal', () => {
  it('Ctrl-C: "stack stopped" within the bound, exit 0, env file gone, nothing left running', async () => {
    const envFile = join(dir, 'stack.env');
    const run = runInTerminal(`npm run stack -- --env-out ${envFile}`);
    await run.waitFor(/stack ready/);
    expect(existsSync(envFile)).toBe(true);
    const started = remember(run.processes());
    expect(describeProcesses(started)).toMatch(/postgres/);

    const pressedAt = Date.now();
    run.press(CTRL_C);
    await run.waitFor(/^stack stopped$/m);
    const stoppedAfterMs = Date.now() - pressedAt;
    const { code } = await run.exited;

    // The terminal echoes the keypress as `^C` on the line the answer starts.
    expect(run.output()).toMatch(/^(\^C)?Ctrl-C: stopping$/m);
    expect(run.output()).not.toMatch(/second Ctrl-C/);
    expect(code).toBe(0);
    expect(stoppedAfterMs).toBeLessThanOrEqual(STOP_BOUNDS_MS.stack);
    expect(existsSync(envFile)).toBe(false);
    expect(describeProcesses(await survivorsAfter(started, 2000))).toBe('');
  }, 60_000);
});
