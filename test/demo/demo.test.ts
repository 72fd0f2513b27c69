/**
 * `npm run demo` as a user runs it (bounded by --duration): the stack, two app processes, load and
 * rotations on a timer, then a verdict. It must pass, and it must have rotated.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('serves through timed rotations and exits 0 with a PASS verdict', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'demo/main.ts', '--duration', '12', '--every', '4', '--rate', '15'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(output).toMatch(/^verdict: PASS, no request failed$/m);
    expect(code).toBe(0);
    const rotations = Number(
      /^rotations (\d+) \(alternating-users\), rotation failures 0$/m.exec(output)?.[1],
    );
    expect(rotations).toBeGreaterThanOrEqual(2);
    expect(output).toMatch(/^requests \d+, ok \d+, failed 0$/m);
    expect(output).toMatch(/^tasks exited with 0, 0$/m);
    // Whether a task swaps pools depends on where its refresh cycle falls between rotations
    // (test/app/integration covers swaps deterministically); that every task reported is certain.
    expect(output).toMatch(/\| task1 ready app(_clone)?@\w+ pool#\d+ \| task2 ready /);
  }, 90_000);
});
