/**
 * The rotator as the local stack's rotation function: registered with the stack's Secrets Manager
 * endpoint, with the rotator principal's client, so RotateSecret on the endpoint (awscli, SDK,
 * `npm run rotate`) rotates the PostgreSQL role for real.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotationStrategy } from '../../rotation/public.js';
import type { SecretsManagerEndpoint } from '../secrets-manager/index.js';
import { formatReport, Rotator, type RotatorOptions } from './rotator.js';

export type StackRotationOptions = { strategy?: RotationStrategy } & Pick<
  RotatorOptions,
  'retry' | 'onRotation' | 'onFailure' | 'onStep' | 'functionLogger'
>;

export function attachStackRotator(input: {
  endpoint: SecretsManagerEndpoint;
  /** The rotator principal's client. */
  client: SecretsManagerClient;
  ownerRole: string;
  options: StackRotationOptions;
  log: (line: string) => void;
}): Rotator {
  const { options, log } = input;
  const rotator = new Rotator({
    secretsManager: input.client,
    strategy: options.strategy ?? 'alternating-users',
    region: input.endpoint.region,
    // The embedded PostgreSQL listens on loopback without TLS.
    functionEnv: { DB_SSL: 'disable', DB_OWNER_ROLE: input.ownerRole },
    ...(options.retry && { retry: options.retry }),
    ...(options.functionLogger && { functionLogger: options.functionLogger }),
    ...(options.onStep && { onStep: options.onStep }),
    onRotation: (report) => {
      log(`rotation: ${formatReport(report)}`);
      options.onRotation?.(report);
    },
    onFailure: (error) => {
      log(`rotation failed: ${error.message}`);
      options.onFailure?.(error);
    },
  });
  rotator.attach(input.endpoint);
  log(
    `rotation function registered (${rotator.strategy} by default): RotateSecret on the endpoint rotates for real`,
  );
  return rotator;
}
