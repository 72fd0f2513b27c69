/**
 * docs/template.md, "3. Delete": what a user starting a real service may delete. This copies the
 * repository's tracked files to a temporary directory, deletes exactly the paths that table's first
 * column names (read from the markdown, so the document and the test cannot drift apart), and runs
 * the type-check and the app's unit tests in the copy.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo-cli.js';

const run = promisify(execFile);
const TEMPLATE_DOC = join(REPO_ROOT, 'docs', 'template.md');

/** The backticked paths in the first column of the table under "## 3. Delete". */
function deletablePaths(markdown: string): string[] {
  const start = markdown.indexOf('\n## 3. Delete');
  if (start < 0) throw new Error('docs/template.md has no "## 3. Delete" section');
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  // The header row and the separator row name nothing.
  return rows.slice(2).flatMap((row) => {
    const firstCell = row.split('|')[1] ?? '';
    return [...firstCell.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
  });
}

const isCheckout = existsSync(join(REPO_ROOT, '.git'));

describe.skipIf(!isCheckout)('docs/template.md: what may be deleted', () => {
  const copy = mkdtempSync(join(tmpdir(), 'template-delete-'));
  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  it('names only paths that exist in the repository', async () => {
    const paths = deletablePaths(readFileSync(TEMPLATE_DOC, 'utf8'));
    expect(paths).toEqual(expect.arrayContaining(['demo/', 'proof/bench/']));
    const { stdout } = await run('git', ['ls-files'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    const tracked = stdout.split('\n').filter(Boolean);
    for (const path of paths) {
      expect(
        tracked.some((file) => (path.endsWith('/') ? file.startsWith(path) : file === path)),
        path,
      ).toBe(true);
    }
  });

  it('leaves a repository that type-checks and passes the app unit tests once they are gone', async () => {
    const { stdout } = await run('git', ['ls-files'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    for (const file of stdout.split('\n').filter(Boolean)) {
      if (existsSync(join(REPO_ROOT, file))) cpSync(join(REPO_ROOT, file), join(copy, file));
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    for (const path of deletablePaths(readFileSync(TEMPLATE_DOC, 'utf8'))) {
      rmSync(join(copy, path), { recursive: true });
      expect(existsSync(join(copy, path)), path).toBe(false);
    }

    const tsc = join(copy, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(
      run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: copy }),
      'npm run typecheck in the copy',
    ).resolves.toBeDefined();

    const vitest = join(copy, 'node_modules', 'vitest', 'vitest.mjs');
    // Exits non-zero (and so rejects) on any failed test.
    const unit = await run(process.execPath, [vitest, 'run', 'test/app/unit'], {
      cwd: copy,
      env: { ...process.env, CI: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    });
    // eslint-disable-next-line no-control-regex
    const summary = unit.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    expect(summary).toMatch(/Test Files\s+[1-9]\d* passed/);
    expect(summary).not.toMatch(/failed/);
  }, 600_000);
});
