import { fileURLToPath } from 'node:url';

/** The naive app's process entry, for whoever starts it as a process (the drill, the bench). */
export const NAIVE_APP_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
