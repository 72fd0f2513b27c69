/** The naive app as its own process, with the same handle as the rotating app's. */
import { spawnApp, type AppProcess } from '../../local/app-process.js';
import { NAIVE_APP_MAIN } from './main-path.js';

export function spawnNaiveApp(env: Record<string, string>): Promise<AppProcess> {
  return spawnApp(env, { entry: NAIVE_APP_MAIN });
}
