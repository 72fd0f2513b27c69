/** The naive app as its own process, with the same handle as the rotating app's. */
import { fileURLToPath } from 'node:url';
import { spawnApp, type AppProcess } from '../../local/app-process.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export function spawnNaiveApp(env: Record<string, string>): Promise<AppProcess> {
  return spawnApp(env, { entry: MAIN });
}
