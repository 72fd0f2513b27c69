import { fileURLToPath } from 'node:url';

/** The naive app's process entry, for whoever starts it as a process (the drill, the bench). */
export const NAIVE_APP_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The variable the naive app reads its credentials from: the secret's JSON, as ECS injects it. */
export const INJECTED_SECRET_VARIABLE = 'DB_SECRET';
