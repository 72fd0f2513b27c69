/** SDK clients with dummy credentials for the local endpoint tests. */
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerEndpoint } from '../../local/secrets-manager/index.js';

export function clientFor(
  endpoint: Pick<SecretsManagerEndpoint, 'url' | 'region'>,
  accessKeyId = 'AKIDLOCALTEST',
  config: Partial<SecretsManagerClientConfig> = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: endpoint.url,
    region: endpoint.region,
    credentials: { accessKeyId, secretAccessKey: 'local-test-dummy-key' },
    maxAttempts: 1,
    ...config,
  });
}

/** A promise with its resolve function, for waiting on a callback. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface FailedCall {
  name: string;
  $metadata?: { httpStatusCode?: number };
}

/** The error a call fails with; throws if it succeeds. */
export async function failureOf(call: Promise<unknown>): Promise<FailedCall> {
  return call.then<never, FailedCall>(
    () => {
      throw new Error('expected the call to fail, it succeeded');
    },
    (error: unknown) => error as FailedCall,
  );
}

export async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call();
  return { result, ms: performance.now() - started };
}
