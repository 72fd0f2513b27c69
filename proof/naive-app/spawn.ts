/** The naive app as its own process, with the same handle as the rotating app's. */
import { spawnApp, type AppProcess } from '../../local/app-process.js';
import { NAIVE_APP_MAIN } from './main-path.js';

export function spawnNaiveApp(
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  return spawnApp(env, { ...options, entry: NAIVE_APP_MAIN });
}
