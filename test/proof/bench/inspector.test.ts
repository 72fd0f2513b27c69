import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectInspector,
  heapUsedAfterGc,
  INSPECTOR_PATTERN,
  inspectorUrlOf,
} from '../../../proof/bench/inspector.js';

const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

describe('the inspector of a measured process', () => {
  it('reads the address Node prints, and nothing else', () => {
    expect(
      inspectorUrlOf('Debugger listening on ws://127.0.0.1:40111/2d0b5c1e-7a8e-4c4f-9d2b-6f5d4b7f0a11'),
    ).toBe('ws://127.0.0.1:40111/2d0b5c1e-7a8e-4c4f-9d2b-6f5d4b7f0a11');
    expect(inspectorUrlOf('For help, see: https://nodejs.org/en/docs/inspector')).toBeNull();
  });

  it('refuses an inspector that is not on loopback', async () => {
    await expect(connectInspector('ws://192.0.2.1:9229/x')).rejects.toThrow(/loopback/);
  });

  it('sees the heap a process frees after a forced GC', async () => {
    // A process that holds about 40 MiB until told to drop it.
    const child = spawn(
      process.execPath,
      [
        '--inspect=127.0.0.1:0',
        '-e',
        `globalThis.held = Array.from({ length: 40 }, () => new Array(128 * 1024).fill(1.5));
         process.stdin.on('data', () => { globalThis.held = null; process.stdout.write('dropped\\n'); });
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(child);
    const lines = createInterface({ input: child.stderr });
    const url = await new Promise<string | null>((resolve) => {
      lines.on('line', (line) => {
        if (INSPECTOR_PATTERN.test(line)) resolve(inspectorUrlOf(line));
      });
    });
    expect(url).not.toBeNull();
    const inspector = await connectInspector(url ?? '');
    try {
      const holding = await heapUsedAfterGc(inspector);
      child.stdin.write('drop\n');
      await once(createInterface({ input: child.stdout }), 'line');
      const dropped = await heapUsedAfterGc(inspector);
      expect(holding - dropped).toBeGreaterThan(30 * 1024 * 1024);
      await expect(inspector.send('No.suchMethod')).rejects.toThrow();
    } finally {
      inspector.close();
    }
  });
});
