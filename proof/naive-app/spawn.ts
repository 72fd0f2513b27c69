/** The naive app as its own process, with the same handle as the rotating app's. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnApp, type AppProcess } from '../../local/app-process.js';
import { INJECTED_SECRET_VARIABLE, NAIVE_APP_MAIN } from './main-path.js';

/** Where the ECS agent reads the task's secret from: a client as the task execution role, and the secret. */
export interface SecretsBlock {
  client: SecretsManagerClient;
  secretId: string;
}

/**
 * Starts the naive app as ECS starts a task whose definition has a `secrets` block: AWSCURRENT is
 * read now, outside the task, and the task gets its JSON in the environment.
 */
export async function spawnNaiveApp(
  env: Record<string, string>,
  secrets: SecretsBlock,
  options: { nodeArgs?: string[]; keepLines?: number } = {},
): Promise<AppProcess> {
  const out = await secrets.client.send(new GetSecretValueCommand({ SecretId: secrets.secretId }));
  if (out.SecretString === undefined) throw new Error(`${secrets.secretId} has no SecretString`);
  return spawnApp(
    { ...env, [INJECTED_SECRET_VARIABLE]: out.SecretString },
    { ...options, entry: NAIVE_APP_MAIN },
  );
}
