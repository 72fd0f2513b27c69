/** `npm run demo -- --help` prints the options; an unknown option is refused with them, exit 2. Nothing starts. */
import { describe, expect, it } from 'vitest';
import { runRepoCli } from '../helpers/repo-cli.js';

const OPTIONS = ['--strategy', '--every', '--tasks', '--rate', '--duration', '--dashboard-port', '--help'];

describe('npm run demo options', () => {
  it('--help prints every option and exits 0 without starting anything', async () => {
    const run = await runRepoCli('demo/main.ts', ['--help'], {}, []);
    expect(run.code).toBe(0);
    for (const option of OPTIONS) expect(run.stdout).toContain(option);
    expect(run.stdout).not.toMatch(/postgres listening/);
    expect(run.egress.allowedByDestination).toEqual({});
  });

  it('refuses an unknown option, naming it, with the options, exit 2', async () => {
    const run = await runRepoCli('demo/main.ts', ['--every-seconds', '5'], {}, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--every-seconds'");
    expect(run.stderr).toContain('--every <s>');
  });
});
