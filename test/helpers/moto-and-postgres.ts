/**
 * What the CLI suites against moto start first: moto_server and a SCRAM PostgreSQL side by side, and
 * an SDK client for moto. Whatever started is registered in `cleanups` before anything can throw,
 * so the caller's afterAll stops it even when the other one failed to start.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startTestPostgres, type RunningPostgres } from './postgres.js';
import { startMotoServer, type RunningTarget } from './secrets-manager-targets.js';

export const MOTO_REGION = 'us-east-1';

export async function startMotoAndPostgres(
  credentials: { accessKeyId: string; secretAccessKey: string },
  cleanups: (() => Promise<void> | void)[],
): Promise<{ moto: RunningTarget; postgres: RunningPostgres; client: SecretsManagerClient }> {
  const [motoStarted, postgresStarted] = await Promise.allSettled([startMotoServer(), startTestPostgres()]);
  if (motoStarted.status === 'fulfilled') cleanups.push(() => motoStarted.value.stop());
  if (postgresStarted.status === 'fulfilled') cleanups.push(() => postgresStarted.value.stop());
  if (motoStarted.status === 'rejected') throw motoStarted.reason;
  if (postgresStarted.status === 'rejected') throw postgresStarted.reason;
  const client = new SecretsManagerClient({
    endpoint: motoStarted.value.url,
    region: MOTO_REGION,
    credentials,
  });
  cleanups.push(() => {
    client.destroy();
  });
  return { moto: motoStarted.value, postgres: postgresStarted.value, client };
}
