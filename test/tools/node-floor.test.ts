/**
 * The floor notice (tools/node/floor-notice.js, loaded first by `npm start`, `npm run stack` and
 * `npm run demo`): one line on a Node below engines.node, nothing on a Node that meets it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const engines = pkg.engines.node;

interface Floor {
  meetsEngines(version: string, engines: string): boolean;
  floorNotice(facts: {
    version: string;
    engines: string;
    recommended: string;
    command: string;
  }): string | undefined;
}
// Plain JavaScript (it must load on a Node too old for the project), so imported by URL.
const floor = (await import(pathToFileURL(join(repoRoot, 'tools/node/floor.js')).href)) as Floor;

describe('engines.node', () => {
  it.each(['v22.13.0', 'v22.23.5', 'v24.0.0', 'v26.12.1'])('%s meets it', (version) => {
    expect(floor.meetsEngines(version, engines)).toBe(true);
  });
  it.each(['v20.20.2', 'v22.12.0', 'v23.11.0'])('%s does not', (version) => {
    expect(floor.meetsEngines(version, engines)).toBe(false);
  });
});

describe('the notice', () => {
  const facts = { engines, recommended: '26', command: '`npm run demo`' };

  it('names the running version, the floor, that the command goes on, and what to install, in one line', () => {
    const notice = floor.floorNotice({ ...facts, version: 'v20.20.2' }) ?? '';
    expect(notice).toBe(
      `node v20.20.2 is older than this project's floor 22.13.0 (engines.node ${engines}): \`npm run demo\` still runs, ` +
        'but install Node 26 (see .node-version); AWS SDK releases from January 2027 on need Node 22 or newer.',
    );
    expect(notice).not.toContain('\n');
  });

  it('calls a newer line outside engines.node unsupported, not old', () => {
    expect(floor.floorNotice({ ...facts, version: 'v23.11.0' })).toMatch(
      /^node v23\.11\.0 is not a line this project supports/,
    );
  });

  it('is nothing on a supported Node', () => {
    expect(floor.floorNotice({ ...facts, version: 'v22.13.0' })).toBeUndefined();
  });

  it('prints nothing and leaves the AWS SDK warning switch alone on this Node', async () => {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [
        '--import',
        './tools/node/floor-notice.js',
        '-e',
        'console.log(String(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED))',
      ],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', npm_lifecycle_event: 'demo' } },
    );
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('undefined');
  });

  it.each(['start', 'stack', 'demo'])('is loaded first by npm %s', (script) => {
    expect(pkg.scripts[script]).toMatch(/^(exec )?(node|tsx) --import \.\/tools\/node\/floor-notice\.js /);
  });
});
