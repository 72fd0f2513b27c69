/**
 * A local Secrets Manager-compatible endpoint: the real wire protocol (AWS JSON 1.1), the service's
 * version-stage rules, run-time fault injection and a per-caller call log. The AWS SDKs, awscli and
 * boto3 talk to it unchanged through their endpoint-URL setting.
 *
 *   const sm = await startSecretsManagerEndpoint();
 *   new SecretsManagerClient({ endpoint: sm.url, region: sm.region, credentials });
 *   sm.faults.set({ kind: 'throttle', operations: ['GetSecretValue'], durationMs: 5_000 });
 *   await sm.close();
 */
import type { AddressInfo } from 'node:net';
import { CallLog } from './call-log.js';
import { FaultController } from './faults.js';
import { RotationDispatcher, type RotationHandler } from './rotation-dispatcher.js';
import { SecretStore } from './secret-store.js';
import { createEndpointServer } from './server.js';

export { CallLog, callerFromAuthorization, type CallRecord } from './call-log.js';
export {
  FaultController,
  FaultSpecError,
  parseFaultSpec,
  type ActiveFault,
  type FaultKind,
  type FaultScope,
  type FaultSpec,
} from './faults.js';
export type { RotationHandler, RotationRequest } from './rotation-dispatcher.js';
export { ACCOUNT_ID, AWSCURRENT, AWSPENDING, AWSPREVIOUS } from './secret-store.js';

export interface SecretsManagerEndpoint {
  /** e.g. http://127.0.0.1:4566 */
  url: string;
  port: number;
  region: string;
  faults: FaultController;
  calls: CallLog;
  /** The stand-in for the rotation Lambda that RotateSecret invokes; undefined unregisters it. */
  setRotationHandler(handler: RotationHandler | undefined): void;
  close(): Promise<void>;
}

export interface SecretsManagerEndpointOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default us-east-1; used in ARNs. */
  region?: string;
}

export async function startSecretsManagerEndpoint(
  options: SecretsManagerEndpointOptions = {},
): Promise<SecretsManagerEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const calls = new CallLog();
  const faults = new FaultController();
  const store = new SecretStore({ region });
  // The rotation handler's outcome is logged as a call the service itself made.
  const rotation = new RotationDispatcher((request, outcome, durationMs) => {
    calls.record({
      time: new Date(Date.now() - durationMs).toISOString(),
      caller: 'secretsmanager',
      operation: 'InvokeRotationHandler',
      secretId: request.secretId,
      outcome: outcome.ok ? 'ok' : 'error',
      ...(!outcome.ok && { errorType: outcome.errorType }),
      durationMs,
    });
  });
  const endpoint = createEndpointServer({ region, store, faults, calls, rotation });

  await new Promise<void>((resolve, reject) => {
    endpoint.server.once('error', reject);
    endpoint.server.listen(options.port ?? 0, host, () => {
      endpoint.server.off('error', reject);
      resolve();
    });
  });
  const { port } = endpoint.server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    region,
    faults,
    calls,
    setRotationHandler: (handler) => {
      rotation.set(handler);
    },
    close: () => {
      closed ??= (async () => {
        faults.clear();
        await endpoint.close();
      })();
      return closed;
    },
  };
}
