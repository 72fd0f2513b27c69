/**
 * README labs 1 and 2, run as a newcomer types them (the commands come from the README), in a real
 * terminal, stopped with the Ctrl-C key; each checks the lab's "you should see" through the
 * dashboard's JSON (`/api/status`, what the page draws).
 */
import { describe, expect, it } from 'vitest';
import type { RotationEntry, StatusEvent } from '../../demo/dashboard.js';
import { lab } from '../helpers/readme-labs.js';
import { CTRL_C, runInTerminal, terminalScope, type TerminalRun } from '../helpers/terminal.js';
import { describeProcesses, survivorsAfter } from '../helpers/process-tree.js';

interface Status {
  history: StatusEvent[];
  rotations: RotationEntry[];
}

const { remember } = terminalScope('demo-labs');

/**
 * Lab 1's command is `npm ci && npm run demo`. CI ran `npm ci` before any test; running it again
 * here would replace node_modules under the suites running alongside, so the test types the rest.
 */
function withoutInstall(command: string): string {
  expect(command.startsWith('npm ci && ')).toBe(true);
  return command.slice('npm ci && '.length);
}

/** The dashboard's JSON, polled (bounded) until `done` holds: the tasks adopt within a refresh cycle. */
async function statusWhen(url: string, done: (s: Status) => boolean, timeoutMs = 30_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await (await fetch(`${url}/api/status`)).json()) as Status;
    if (done(status) || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const latest = (s: Status) => s.history.at(-1);
const usernames = (e: StatusEvent | undefined) => e?.tasks.map((t) => t.username) ?? [];
const generations = (e: StatusEvent | undefined) => e?.tasks.map((t) => t.poolGeneration) ?? [];

/** Ctrl-C, then the demo's verdict: PASS, exit 0, nothing of the run left. */
async function stopWithCtrlC(run: TerminalRun): Promise<void> {
  const started = remember(run.processes());
  run.press(CTRL_C);
  const [verdict] = await run.waitFor(/^verdict: .*$/m);
  const { code } = await run.exited;
  expect(verdict).toBe('verdict: PASS, no request failed');
  expect(run.output()).toMatch(/^requests \d+, ok \d+, failed 0$/m);
  expect(code).toBe(0);
  expect(describeProcesses(await survivorsAfter(started, 2000))).toBe('');
}

describe('README labs: the demo', () => {
  it('lab 1: a rotation flips both tasks from app to app_clone, pool generation 1 → 2, 0 failed', async () => {
    const { commands } = lab(1);
    expect(commands).toHaveLength(1);
    const run = runInTerminal(withoutInstall(commands[0] ?? ''));
    const [, url = ''] = await run.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)/);
    await run.waitFor(/rotation: rotated /);

    const status = await statusWhen(url, (s) => usernames(latest(s)).every((u) => u === 'app_clone'));
    expect(usernames(status.history[0])).toEqual(['app', 'app']);
    expect(generations(status.history[0])).toEqual([1, 1]);
    expect(usernames(latest(status))).toEqual(['app_clone', 'app_clone']);
    expect(generations(latest(status))).toEqual([2, 2]);
    expect(latest(status)?.totals.failed).toBe(0);
    // The timeline: four steps, each with its duration.
    const done = status.rotations.find((r) => r.state === 'done');
    expect(done?.steps.map((s) => s.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const step of done?.steps ?? []) expect(step.durationMs).toBeGreaterThanOrEqual(0);
    // "Rotate now" is a POST the page makes.
    const rotateNow = await fetch(`${url}/api/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rotateNow.status).toBe(202);
    await run.waitFor(/Rotate now \(dashboard\): RotateSecret started version/);

    await stopWithCtrlC(run);
  }, 120_000);

  it('lab 2: single user keeps the username and pool generation 1 while the password changes', async () => {
    const { commands } = lab(2);
    expect(commands).toEqual(['npm run demo -- --strategy single-user']);
    const run = runInTerminal(commands[0] ?? '');
    const [, url = ''] = await run.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)/);
    const [, version = ''] = await run.waitFor(/rotation: rotated \S+ to version ([\w-]+) \(single-user\)/);

    const status = await statusWhen(
      url,
      (s) => latest(s)?.tasks.every((t) => t.versionId === version) ?? false,
    );
    expect(latest(status)?.tasks.map((t) => t.versionId)).toEqual([version, version]);
    for (const second of status.history) {
      expect(usernames(second).filter((u) => u !== null)).not.toContain('app_clone');
      expect(generations(second).filter((g) => g !== null)).not.toContain(2);
    }
    expect(usernames(latest(status))).toEqual(['app', 'app']);
    expect(generations(latest(status))).toEqual([1, 1]);
    expect(latest(status)?.totals.failed).toBe(0);

    await stopWithCtrlC(run);
  }, 120_000);
});
