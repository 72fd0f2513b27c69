/**
 * The Secrets Manager implementations the rotation protocol tests run against: the local endpoint
 * (in-process) and moto_server (mandatory when REQUIRE_MOTO=1, skipped when absent otherwise), as
 * the conformance suite does (its moto launcher is reused).
 *
 * Each target also says how to reserve the AWSPENDING version a rotation starts with, which
 * Secrets Manager does itself before invoking the rotation function (a version under the token,
 * labelled AWSPENDING, with no value yet):
 * - endpoint: RotateSecret, with a rotation handler registered that does nothing (the test invokes
 *   the steps itself);
 * - moto: its RotateSecret stores exactly that version and only then looks the rotation Lambda up;
 *   with no such function it answers ResourceNotFoundException and keeps the version (moto 5.2.1,
 *   models.py rotate_secret). Without a RotationLambdaARN it would instead make an empty version
 *   AWSCURRENT, so the ARN is always passed.
 */
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { reserveOnEmulator, type Reservation } from '../../local/rotator/index.js';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import { findOnPath, startMotoServer } from './secrets-manager-targets.js';

export type RotationTargetName = 'endpoint' | 'moto';

export interface RunningRotationTarget {
  name: RotationTargetName;
  url: string;
  region: string;
  /** A client for this target; destroyed by stop(). */
  client(accessKeyId?: string): SecretsManagerClient;
  reserve: Reservation;
  endpoint?: SecretsManagerEndpoint;
  stop(): Promise<void>;
}

export interface RotationTarget {
  name: RotationTargetName;
  skipReason: string | undefined;
  start(): Promise<RunningRotationTarget>;
}

const REGION = 'us-east-1';

function clients(url: string): { make: (accessKeyId?: string) => SecretsManagerClient; destroy: () => void } {
  const made: SecretsManagerClient[] = [];
  return {
    make: (accessKeyId = 'AKIDROTATIONTEST') => {
      const client = new SecretsManagerClient({
        endpoint: url,
        region: REGION,
        credentials: { accessKeyId, secretAccessKey: 'rotation-test-dummy-key' },
        maxAttempts: 2,
      });
      made.push(client);
      return client;
    },
    destroy: () => {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}

const endpointTarget: RotationTarget = {
  name: 'endpoint',
  skipReason: undefined,
  async start() {
    const endpoint = await startSecretsManagerEndpoint({ region: REGION });
    // RotateSecret reserves the version only when a rotation function is registered.
    endpoint.setRotationHandler(() => Promise.resolve());
    const c = clients(endpoint.url);
    return {
      name: 'endpoint',
      url: endpoint.url,
      region: REGION,
      client: c.make,
      endpoint,
      reserve: async ({ client, secretId, token, functionArn }) => {
        await client.send(
          new RotateSecretCommand({
            SecretId: secretId,
            ClientRequestToken: token,
            RotationLambdaARN: functionArn,
          }),
        );
      },
      stop: async () => {
        c.destroy();
        await endpoint.close();
      },
    };
  },
};

/** moto: RotateSecret with a RotationLambdaARN it cannot find still leaves the reserved version. */
export const motoReservation: Reservation = reserveOnEmulator;

const motoTarget: RotationTarget = {
  name: 'moto',
  skipReason:
    process.env.REQUIRE_MOTO === '1' || findOnPath('moto_server')
      ? undefined
      : 'moto_server is not on PATH (set REQUIRE_MOTO=1 to make this run mandatory)',
  async start() {
    const moto = await startMotoServer();
    const c = clients(moto.url);
    return {
      name: 'moto',
      url: moto.url,
      region: REGION,
      client: c.make,
      reserve: motoReservation,
      stop: async () => {
        c.destroy();
        await moto.stop();
      },
    };
  },
};

export const rotationTargets: readonly RotationTarget[] = [endpointTarget, motoTarget];
