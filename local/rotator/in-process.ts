/**
 * Reserving the AWSPENDING version when the rotator itself plays Secrets Manager's part
 * (`npm run rotate -- --invoke local`): for LocalStack with only Secrets Manager enabled, and for
 * moto, neither of which can invoke a rotation function.
 *
 * On AWS, RotateSecret stores a version under the new ClientRequestToken, labelled AWSPENDING and
 * without a value, then invokes the function. The emulators differ:
 *
 * - moto stores exactly that version and only then looks the function up; with no such function
 *   it answers ResourceNotFoundException and keeps the version (moto 5.x, `rotate_secret`). So
 *   RotateSecret with a RotationLambdaARN that names no function reserves the version.
 * - LocalStack replaces moto's RotateSecret: it asks its Lambda service for the function *first*
 *   and answers ResourceNotFoundException ("Lambda does not exist or could not be accessed")
 *   before storing anything. With `SERVICES=secretsmanager` there is no Lambda, so RotateSecret
 *   can never reserve a version there.
 *
 * No Secrets Manager operation creates a version without a value, so where RotateSecret reserves
 * nothing the version is created with its value: the rotation function's own createSecret code
 * (rotation/steps/create-secret.ts, the same module the Lambda runs) puts the new value under the
 * token with PutSecretValue and VersionStages [AWSPENDING], exactly as it does on AWS after the
 * service's reservation. The handler's createSecret step then finds the pending value and does
 * nothing more (outcome `pending-exists`); setSecret, testSecret and finishSecret run as usual.
 * The only observable difference from AWS is that no value-less AWSPENDING version ever exists.
 *
 * `auto` tries RotateSecret once; once it has seen it reserve nothing, it goes straight to
 * PutSecretValue for the rest of the process's life.
 */
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  loadRotationConfig,
  type RotationStrategy,
  createLogger,
  type RotationLogger,
  createSecret,
} from '../../rotation/public.js';
import { AWSPENDING, reserveOnEmulator, type Reservation } from './rotator.js';

export const RESERVATION_MODES = ['auto', 'rotate-secret', 'put-pending'] as const;
export type ReservationMode = (typeof RESERVATION_MODES)[number];

/** How the last reservation was made. */
export type ReservedBy = 'RotateSecret' | 'PutSecretValue';

export interface InProcessReservation {
  /** The reservation for one rotation with `strategy` (it decides the pending value's username). */
  forStrategy(strategy: RotationStrategy): Reservation;
  /** How the last reservation was made; undefined before the first. */
  readonly lastReservedBy: ReservedBy | undefined;
}

export function inProcessReservation(options: {
  mode: ReservationMode;
  /** The rotation function's environment (password rules, as for the Lambda); ROTATION_STRATEGY is set per call. */
  functionEnv?: Record<string, string | undefined>;
  logger?: RotationLogger;
}): InProcessReservation {
  const { mode } = options;
  const logger = options.logger ?? createLogger({ level: 'silent' });
  let rotateSecretReserves = mode !== 'put-pending';
  let lastReservedBy: ReservedBy | undefined;

  const forStrategy =
    (strategy: RotationStrategy): Reservation =>
    async ({ client, secretId, token, functionArn }) => {
      if (rotateSecretReserves) {
        await reserveOnEmulator({ client, secretId, token, functionArn });
        const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
        if ((described.VersionIdsToStages?.[token] ?? []).includes(AWSPENDING)) {
          lastReservedBy = 'RotateSecret';
          return;
        }
        if (mode === 'rotate-secret') {
          throw new Error(
            `RotateSecret reserved no AWSPENDING version for ${token} on ${secretId} ` +
              '(LocalStack does not without a Lambda function); use --reserve put-pending or auto',
          );
        }
        rotateSecretReserves = false;
      }
      const config = loadRotationConfig({ ...options.functionEnv, ROTATION_STRATEGY: strategy });
      const unavailable = (what: string) => (): never => {
        throw new Error(`createSecret does not use ${what}`);
      };
      await createSecret({
        sm: client,
        secretId,
        token,
        rotationToken: undefined,
        config,
        log: logger.child({ secretId, token, step: 'reservation', strategy }),
        rds: unavailable('RDS'),
        connect: unavailable('the database'),
      });
      lastReservedBy = 'PutSecretValue';
    };

  return {
    forStrategy,
    get lastReservedBy() {
      return lastReservedBy;
    },
  };
}
