/** The README's tree of the repository names every file of app/src: a new file must be placed there too. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const srcDir = join(root, 'app/src');

/** The block under "What is in the repository", from its opening fence to its closing one. */
function readmeTree(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split('## What is in the repository')[1] ?? '';
  return section.split('```')[1] ?? '';
}

/** Every file under `dir`, as a path relative to app/src. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(srcDir, join(entry.parentPath, entry.name)));
}

describe("the README's tree", () => {
  it('names every file of app/src', () => {
    const tree = readmeTree();
    expect(tree).toContain('src/main.ts');
    // Files in plugins/ and routes/ are named without their extension, in their folder's list.
    const unnamed = filesUnder(srcDir).filter((file) => {
      const name = file.split('/').pop() ?? file;
      const inList = /\/(plugins|routes)\//.test(file) && tree.includes(name.replace(/\.ts$/, ''));
      return !tree.includes(name) && !inList;
    });
    expect(unnamed).toEqual([]);
  });
});
