/**
 * A Node.js binary new enough for the AWS Advanced NodeJS Wrapper (≥ 22.9). This one when it is;
 * otherwise the npm package `node@22`, installed once into .cache/node22/ under the project (a
 * directory of its own with its own package.json, so the project's dependencies are never touched).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { round } from './step.js';

const run = promisify(execFile);

export const MIN_NODE = [22, 9] as const;
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE22_CACHE = join(PROJECT_ROOT, '.cache', 'node22');
const INSTALL_TIMEOUT_MS = 180_000;

export function isRecentEnough(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

async function versionOf(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export interface NodeBinary {
  path: string;
  version: string;
  /** installed: fetched by this call (seconds it took); cached: from an earlier install; self: this Node. */
  source: 'self' | 'cached' | 'installed';
  installSeconds?: number;
}

/** A Node ≥ 22.9: this process's binary, the cached one, or a fresh install (bounded, at most once). */
export async function ensureRecentNode(say: (line: string) => void): Promise<NodeBinary> {
  if (isRecentEnough(process.version))
    return { path: process.execPath, version: process.version, source: 'self' };
  const binary = join(NODE22_CACHE, 'node_modules', '.bin', 'node');
  const cached = await versionOf(binary);
  if (cached !== undefined && isRecentEnough(cached))
    return { path: binary, version: cached, source: 'cached' };

  say(`Node ${process.version} is older than ${MIN_NODE.join('.')}: installing node@22 into ${NODE22_CACHE}`);
  const started = performance.now();
  // Installed beside the cache and renamed into place, so a concurrent or interrupted run never
  // leaves a half-installed cache behind.
  const staging = `${NODE22_CACHE}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(
      join(staging, 'package.json'),
      `${JSON.stringify(
        {
          name: 'bench-node22',
          private: true,
          description: 'Node 22 for the benchmark wrapper variant (npm run bench); safe to delete',
          // npm 11 runs no install script unless allowed; the node package's one fetches the binary.
          allowScripts: { node: true },
        },
        null,
        2,
      )}\n`,
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'node@22'], {
      cwd: staging,
      timeout: INSTALL_TIMEOUT_MS,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    const version = await versionOf(join(staging, 'node_modules', '.bin', 'node'));
    if (version === undefined || !isRecentEnough(version))
      throw new Error(`npm install node@22 gave ${version ?? 'no binary'}`);
    await rm(NODE22_CACHE, { recursive: true, force: true });
    await rename(staging, NODE22_CACHE);
    const installSeconds = round((performance.now() - started) / 1000);
    say(`node ${version} installed in ${installSeconds} s`);
    return { path: binary, version, source: 'installed', installSeconds };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
