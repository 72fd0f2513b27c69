/**
 * A child killed by a terminal's Ctrl-C while it was being forked (before it left the terminal's
 * process group) is started again, once; a child that got as far as printing is not.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnApp } from '../../local/app-process.js';

const dir = mkdtempSync(join(tmpdir(), 'app-process-sigint-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An entry that records each start in START_LOG, optionally prints, then dies of SIGINT. */
function entry(name: string, printFirst: boolean): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    [
      "import { appendFileSync } from 'node:fs';",
      "appendFileSync(process.env.START_LOG, 'started\\n');",
      printFirst
        ? "process.stdout.write('listening\\n', () => process.kill(process.pid, 'SIGINT'));"
        : "process.kill(process.pid, 'SIGINT');",
    ].join('\n'),
  );
  return file;
}

const startsIn = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

describe('spawnApp and a SIGINT before the first line', () => {
  it('starts the child again once, and reports the second exit', async () => {
    const log = join(dir, 'silent.log');
    appendFileSync(log, '');
    const app = await spawnApp({ PORT: '1', START_LOG: log }, { entry: entry('silent', false) });
    expect(await app.exited).toBeNull();
    expect(app.child.signalCode).toBe('SIGINT');
    expect(startsIn(log)).toBe(2);
  });

  it('does not start again a child that printed before it died', async () => {
    const log = join(dir, 'printed.log');
    appendFileSync(log, '');
    const app = await spawnApp({ PORT: '1', START_LOG: log }, { entry: entry('printed', true) });
    expect(await app.exited).toBeNull();
    expect(app.lines).toEqual(['listening']);
    expect(startsIn(log)).toBe(1);
  });
});
