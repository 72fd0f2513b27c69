/** The naive app as its own process, with the same handle as local/app-process.ts spawnApp(). */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AppProcess } from '../app-process.js';
import { findFreePort } from '../postgres/free-port.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export async function spawnNaiveApp(env: Record<string, string>): Promise<AppProcess> {
  const port = env.PORT ?? String(await findFreePort());
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: port, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of [...watchers]) {
      if (w.pattern.test(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    lines,
    exited,
    waitForLine(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => watchers.push({ pattern, resolve })),
        exited.then((code) => {
          throw new Error(
            `naive app exited (${code}) before a line matched ${pattern}:\n${lines.slice(-20).join('\n')}`,
          );
        }),
      ]);
    },
  };
}
