/**
 * The rotation function: Secrets Manager invokes it four times per rotation with
 * `{SecretId, ClientRequestToken, Step}` (createSecret → setSecret → testSecret → finishSecret).
 * One module, two strategies, chosen by ROTATION_STRATEGY (the AWS templates are two functions:
 * SecretsManagerRDSPostgreSQLRotationSingleUser and ...MultiUser); see config.ts for the rest of
 * the environment.
 *
 * Entry checks, before any step (messages as the AWS templates):
 * 1. rotation turned off for the secret → error;
 * 2. the token is not a version of the secret → error;
 * 3. the token is already AWSCURRENT → nothing to do (a re-invocation is harmless);
 * 4. the token is not AWSPENDING → error;
 * 5. an unknown step → error.
 *
 * `handler` is the Lambda entry (configured from the environment on first use);
 * `createRotationHandler` builds the same function with its dependencies given, which is how the
 * local rotator runs it.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadRotationConfig, type RotationConfig } from './config.js';
import { login, type DbLogin } from './db-connection.js';
import { RotationError } from './errors.js';
import { createLogger, type RotationLogger } from './logger.js';
import { sdkRdsApi, type RdsApi } from './master-secret.js';
import { describeSecret } from './secrets.js';
import { AWSCURRENT, AWSPENDING } from './version-stages.js';
import type { StepContext, StepOutcome } from './steps/context.js';
import { createSecret } from './steps/create-secret.js';
import { finishSecret, removePendingLabel } from './steps/finish-secret.js';
import { setSecretAlternatingUsers } from './steps/set-secret-alternating-users.js';
import { setSecretSingleUser } from './steps/set-secret-single-user.js';
import { testSecret } from './steps/test-secret.js';

export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: string;
  /** Present for rotations through an assumed role or across accounts; passed on to PutSecretValue. */
  RotationToken?: string;
}

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof STEPS)[number];

/** The step names as the event carries them, including the documented snake_case spellings. */
const STEP_NAMES: Record<string, RotationStep> = {
  createSecret: 'createSecret',
  create_secret: 'createSecret',
  setSecret: 'setSecret',
  set_secret: 'setSecret',
  testSecret: 'testSecret',
  test_secret: 'testSecret',
  finishSecret: 'finishSecret',
  finish_secret: 'finishSecret',
};

export function normalizeStep(step: string): RotationStep | undefined {
  return Object.hasOwn(STEP_NAMES, step) ? STEP_NAMES[step] : undefined;
}

export interface StepResult {
  step: string;
  outcome: StepOutcome;
}

export type RotationHandler = (event: RotationEvent) => Promise<StepResult>;

export interface RotationHandlerOptions {
  config: RotationConfig;
  secretsManager: SecretsManagerClient;
  /** RDS lookups for RDS-managed master secrets; the AWS SDK by default (loaded on first use). */
  rds?: RdsApi;
  logger?: RotationLogger;
  /** How logins are made; `login` from db-connection.ts by default. */
  connect?: (target: DbLogin) => Promise<Awaited<ReturnType<typeof login>>>;
}

export function createRotationHandler(options: RotationHandlerOptions): RotationHandler {
  const { config, secretsManager: sm } = options;
  const baseLog = options.logger ?? createLogger({ level: config.logLevel });
  let rds = options.rds;
  const rdsApi = (): RdsApi => (rds ??= sdkRdsApi());
  const connect =
    options.connect ??
    ((target: DbLogin) => login(target, { tls: config.tls, connectTimeoutMs: config.connectTimeoutMs }));

  return async (event) => {
    const { SecretId: secretId, ClientRequestToken: token, Step: rawStep } = event;
    const log = baseLog.child({ secretId, token, step: rawStep, strategy: config.strategy });
    const started = Date.now();
    try {
      const result = await run();
      log.info({ outcome: result.outcome, durationMs: Date.now() - started }, 'step done');
      return result;
    } catch (err) {
      log.error({ error: err, durationMs: Date.now() - started }, 'step failed');
      throw err;
    }

    async function run(): Promise<StepResult> {
      if (typeof secretId !== 'string' || typeof token !== 'string' || typeof rawStep !== 'string') {
        throw new RotationError('The event must have string fields SecretId, ClientRequestToken and Step');
      }
      const ctx: StepContext = {
        sm,
        secretId,
        token,
        rotationToken: event.RotationToken,
        config,
        log,
        rds: rdsApi,
        connect,
      };
      const metadata = await describeSecret(sm, secretId);
      if (metadata.rotationEnabled === false) {
        throw new RotationError(`Secret ${secretId} is not enabled for rotation`);
      }
      const stages = metadata.versions[token];
      if (stages === undefined) {
        throw new RotationError(`Secret version ${token} has no stage for rotation of secret ${secretId}`);
      }
      const step = normalizeStep(rawStep);
      if (stages.includes(AWSCURRENT)) {
        // A finishSecret interrupted between its two updates is completed here.
        if (step === 'finishSecret') await removePendingLabel(ctx, metadata);
        log.info(`Secret version ${token} already set as AWSCURRENT for secret ${secretId}`);
        return { step: rawStep, outcome: 'already-current' };
      }
      if (!stages.includes(AWSPENDING)) {
        throw new RotationError(
          `Secret version ${token} not set as AWSPENDING for rotation of secret ${secretId}`,
        );
      }
      switch (step) {
        case 'createSecret':
          return { step, outcome: await createSecret(ctx) };
        case 'setSecret':
          return {
            step,
            outcome:
              config.strategy === 'single-user'
                ? await setSecretSingleUser(ctx)
                : await setSecretAlternatingUsers(ctx),
          };
        case 'testSecret':
          return { step, outcome: await testSecret(ctx) };
        case 'finishSecret':
          return { step, outcome: await finishSecret(ctx) };
        case undefined:
          throw new RotationError(`Invalid step parameter ${rawStep} for secret ${secretId}`);
      }
    }
  };
}

let fromEnvironment: RotationHandler | undefined;

/** The Lambda entry point. Configuration errors surface on the first invocation, naming each variable. */
export const handler = async (event: RotationEvent): Promise<StepResult> => {
  if (!fromEnvironment) {
    const config = loadRotationConfig(process.env);
    fromEnvironment = createRotationHandler({
      config,
      secretsManager: new SecretsManagerClient({
        ...(config.secretsManagerEndpoint !== undefined && { endpoint: config.secretsManagerEndpoint }),
      }),
    });
  }
  return fromEnvironment(event);
};
