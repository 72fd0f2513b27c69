/**
 * docs/benchmarks.md is hand-written prose around one block the bench writes: the splice replaces
 * that block and nothing else, refuses a page it cannot place the block in, and the committed page
 * has exactly one block for it.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, spliceResults, writeDocs } from '../../../proof/bench/docs.js';
import type { BenchReport } from '../../../proof/bench/report.js';

const block = (text: string) => `${BEGIN_MARKER} -->\n${text}\n${END_MARKER}\n`;

describe('spliceResults', () => {
  it('replaces the block between the markers and keeps the prose around it as it was', () => {
    const page = `# Title\n\nProse before.\n\n${block('old figures')}\nProse after.\n`;
    const next = spliceResults(page, block('new figures'));
    expect(next).toBe(`# Title\n\nProse before.\n\n${block('new figures')}\nProse after.\n`);
  });

  it('refuses a page without the markers, with two blocks, or with them out of order', () => {
    expect(() => spliceResults('# Only prose\n', block('x'))).toThrow(/one line starting with/);
    expect(() => spliceResults(`${block('a')}${block('b')}`, block('x'))).toThrow(/found 2 and 2/);
    expect(() => spliceResults(`${END_MARKER}\n${BEGIN_MARKER} -->\n`, block('x'))).toThrow(/after it/);
  });

  it('finds exactly one block in docs/benchmarks.md', () => {
    const page = readFileSync(new URL('../../../docs/benchmarks.md', import.meta.url), 'utf8');
    const replaced = spliceResults(page, block('figures'));
    expect(replaced).toContain('## How to read the figures');
    expect(replaced).toContain('## Where the CPU goes');
    expect(replaced).not.toContain('## Results (');
  });

  it('writes into an existing page only, and says so when there is none', async () => {
    const missing = join(tmpdir(), `no-such-page-${process.pid}.md`);
    await expect(writeDocs({} as BenchReport, 'reports/x.json', missing)).rejects.toThrow(
      /cannot read .*no-such-page.*: the results block is written into an existing page with its markers/,
    );
  });
});
