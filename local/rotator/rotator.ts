/**
 * The rotator: what Secrets Manager does on RotateSecret, for a Secrets Manager that cannot invoke a
 * Lambda function (the local endpoint, moto, LocalStack without Lambda).
 *
 * - a new ClientRequestToken (a UUID) names the version being rotated in;
 * - that version is reserved with AWSPENDING and no value yet: by the endpoint itself when the
 *   rotator is attached to it (RotateSecret hands the token over), or by a reservation given to
 *   rotate() for endpoints where that takes something else;
 * - createSecret → setSecret → testSecret → finishSecret, through the same handler module the Lambda
 *   runs (rotation/handler.ts), with this rotator's SDK client;
 * - a failed step fails the attempt, and the whole rotation is tried again with the same token
 *   (every step is idempotent), a bounded number of times with backoff; after the last attempt the
 *   version keeps AWSPENDING, as with Secrets Manager;
 * - no new rotation starts while another version holds AWSPENDING (`resume()` finishes that one).
 *
 * The two strategies are two functions, as on AWS; the secret's RotationLambdaARN picks one
 * (`functionArn(strategy)`), the rotator's default strategy otherwise.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  loadRotationConfig,
  STRATEGIES,
  type RotationStrategy,
  createRotationHandler,
  STEPS,
  type RotationEvent,
  type RotationHandler,
  type RotationStep,
  type StepResult,
  createLogger,
  type RotationLogger,
  type RdsApi,
  type StepOutcome,
  AWSCURRENT,
  AWSPENDING,
} from '../../rotation/public.js';
import type { CallLog, RotationHandler as EndpointRotationHandler } from '../secrets-manager/index.js';

export { AWSCURRENT, AWSPENDING };
/** Account id of the local endpoint's ARNs. */
const LOCAL_ACCOUNT_ID = '000000000000';

export interface StepTiming {
  step: RotationStep;
  outcome: StepOutcome;
  durationMs: number;
}

export interface RotationReport {
  /** The secret as the rotation was asked for (name or ARN). */
  secretId: string;
  /** The new version: the rotation's ClientRequestToken. */
  versionId: string;
  strategy: RotationStrategy;
  /** 1 when the first attempt succeeded. */
  attempts: number;
  /** The four steps of the attempt that succeeded. */
  steps: StepTiming[];
  /** From the first step of the first attempt to the end of finishSecret. */
  durationMs: number;
}

/** One step invocation, successful or not (for call logs and hooks). */
export interface StepInvocation {
  secretId: string;
  versionId: string;
  strategy: RotationStrategy;
  attempt: number;
  step: RotationStep;
  startedAt: Date;
  durationMs: number;
  outcome?: StepOutcome;
  /** Name of the error the step failed with. */
  errorType?: string;
}

export class RotationFailedError extends Error {
  override readonly name = 'RotationFailedError';
  constructor(
    readonly secretId: string,
    readonly versionId: string,
    readonly attempts: number,
    readonly failedStep: RotationStep,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `rotation of ${secretId} to version ${versionId} failed after ${attempts} attempt(s), at ${failedStep}: ${reason}`,
      { cause },
    );
  }
}

export class RotationInProgressError extends Error {
  override readonly name = 'RotationInProgressError';
  constructor(
    readonly secretId: string,
    readonly pendingVersionId: string,
  ) {
    super(
      `A previous rotation isn't complete: version ${pendingVersionId} of ${secretId} holds AWSPENDING ` +
        '(resume() retries it)',
    );
  }
}

/** Something that reserves an AWSPENDING version under `token` (see rotate()). */
export type Reservation = (input: {
  client: SecretsManagerClient;
  secretId: string;
  token: string;
  functionArn: string;
}) => Promise<void>;

export interface RotatorOptions {
  /** The rotator's SDK client: the service's calls and the rotation function's. */
  secretsManager: SecretsManagerClient;
  /** Used when the secret names no rotation function of this rotator. */
  strategy: RotationStrategy;
  /** The rotation function's environment besides ROTATION_STRATEGY (DB_SSL, DB_OWNER_ROLE, ...). */
  functionEnv?: Record<string, string | undefined>;
  /** RDS lookups for the function (RDS-managed master secrets). */
  rds?: RdsApi;
  /** The function's log; silent by default. */
  functionLogger?: RotationLogger;
  /** Replaces the function (e.g. the bundled one); the handler module by default. */
  invoke?: (strategy: RotationStrategy, event: RotationEvent) => Promise<unknown>;
  /** Attempts per rotation (default 3) and the delay before the second one (default 1000 ms, doubling). */
  retry?: { attempts?: number; delayMs?: number };
  /** Region for the function ARNs; default us-east-1. */
  region?: string;
  /** Every finished rotation, including those the endpoint started. */
  onRotation?: (report: RotationReport) => void;
  /** Every rotation given up after its last attempt. */
  onFailure?: (error: RotationFailedError) => void;
  /** After each step invocation; awaited (tests use it to act inside a rotation). */
  onStep?: (invocation: StepInvocation) => void | Promise<void>;
}

interface Waiter {
  resolve: (report: RotationReport) => void;
  reject: (error: unknown) => void;
}

const FUNCTION_NAME_PREFIX = 'rotation-';

export class Rotator {
  readonly #opts: RotatorOptions;
  readonly #functions = new Map<RotationStrategy, RotationHandler>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #settled = new Map<string, { report: RotationReport } | { error: Error }>();
  #attached = false;

  constructor(options: RotatorOptions) {
    this.#opts = options;
  }

  get strategy(): RotationStrategy {
    return this.#opts.strategy;
  }

  /** The ARN standing for this rotator's function of a strategy (RotateSecret's RotationLambdaARN). */
  functionArn(strategy: RotationStrategy = this.#opts.strategy): string {
    return rotationFunctionArn(strategy, this.#opts.region ?? 'us-east-1');
  }

  /** The strategy a RotationLambdaARN names, if it is one of the rotator's functions. */
  static strategyOf(functionArn: string | undefined): RotationStrategy | undefined {
    return strategyOfFunction(functionArn);
  }

  /**
   * Registers this rotator as the endpoint's rotation function: RotateSecret on the endpoint (from
   * the SDK, awscli, boto3, rotate()) then performs a real rotation. Each step invocation is also
   * written to the endpoint's call log as `InvokeRotationHandler.<step>` (caller `secretsmanager`).
   * Returns a function that unregisters it.
   */
  attach(endpoint: {
    setRotationHandler(handler: EndpointRotationHandler | undefined): void;
    calls?: CallLog;
  }): () => void {
    const handler: EndpointRotationHandler = async ({ secretId, arn, token }) => {
      let strategy: RotationStrategy;
      try {
        const described = await this.#opts.secretsManager.send(
          new DescribeSecretCommand({ SecretId: secretId }),
        );
        strategy = Rotator.strategyOf(described.RotationLambdaARN) ?? this.#opts.strategy;
      } catch (err) {
        const error = toError(err);
        this.#settle(token, { error });
        throw error;
      }
      // The service invokes the function with the secret's ARN, whatever id RotateSecret was given.
      await this.run({ secretId, token, strategy, callLog: endpoint.calls, eventSecretId: arn });
    };
    endpoint.setRotationHandler(handler);
    this.#attached = true;
    return () => {
      endpoint.setRotationHandler(undefined);
      this.#attached = false;
    };
  }

  /**
   * Starts a rotation and resolves with its report once finishSecret is done. Refuses while another
   * version holds AWSPENDING. Attached to the endpoint, RotateSecret reserves the version and hands
   * it back to this rotator; otherwise `reserve` does (default: RotateSecret, for endpoints that
   * reserve without running anything themselves), and the rotator checks it did.
   */
  async rotate(
    secretId: string,
    options: { strategy?: RotationStrategy; reserve?: Reservation; token?: string } = {},
  ): Promise<RotationReport> {
    const strategy = options.strategy ?? this.#opts.strategy;
    const client = this.#opts.secretsManager;
    const pending = await this.pendingVersion(secretId);
    if (pending !== undefined) throw new RotationInProgressError(secretId, pending);
    const token = options.token ?? randomUUID();
    const functionArn = this.functionArn(strategy);

    if (this.#attached && !options.reserve) {
      const done = this.waitForRotation(token);
      // Settled by the run the endpoint starts; observed here, after RotateSecret answered.
      done.catch(() => undefined);
      try {
        await client.send(
          new RotateSecretCommand({
            SecretId: secretId,
            ClientRequestToken: token,
            RotationLambdaARN: functionArn,
          }),
        );
      } catch (err) {
        this.#waiters.delete(token);
        throw err;
      }
      return done;
    }
    await (options.reserve ?? reserveWithRotateSecret)({ client, secretId, token, functionArn });
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = described.VersionIdsToStages?.[token] ?? [];
    if (!stages.includes(AWSPENDING)) {
      throw new Error(
        `no AWSPENDING version was reserved for ${token} on ${secretId}: this endpoint's RotateSecret does not ` +
          'reserve one by itself; attach the rotator to the endpoint or pass a reservation',
      );
    }
    return this.run({ secretId, token, strategy });
  }

  /** The version holding AWSPENDING without being AWSCURRENT, if any: an unfinished rotation. */
  async pendingVersion(secretId: string): Promise<string | undefined> {
    const described = await this.#opts.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    const entry = Object.entries(described.VersionIdsToStages ?? {}).find(
      ([, stages]) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
    );
    return entry?.[0];
  }

  /** Retries an unfinished rotation (the version holding AWSPENDING); undefined when there is none. */
  async resume(secretId: string, strategy?: RotationStrategy): Promise<RotationReport | undefined> {
    const token = await this.pendingVersion(secretId);
    if (token === undefined) return undefined;
    return this.run({ secretId, token, strategy: strategy ?? this.#opts.strategy });
  }

  /** Resolves with the report of the rotation to `versionId` (started by anyone), or rejects with its failure. */
  waitForRotation(versionId: string): Promise<RotationReport> {
    const settled = this.#settled.get(versionId);
    if (settled) return 'report' in settled ? Promise.resolve(settled.report) : Promise.reject(settled.error);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(versionId) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(versionId, list);
    });
  }

  /** The four steps for a version someone already reserved, with the service's bounded retries. */
  async run(input: {
    secretId: string;
    token: string;
    strategy?: RotationStrategy;
    callLog?: CallLog | undefined;
    /** SecretId in the function's event; `secretId` by default. */
    eventSecretId?: string;
  }): Promise<RotationReport> {
    const { secretId, token } = input;
    const eventSecretId = input.eventSecretId ?? secretId;
    const strategy = input.strategy ?? this.#opts.strategy;
    const attempts = Math.max(1, this.#opts.retry?.attempts ?? 3);
    const baseDelayMs = this.#opts.retry?.delayMs ?? 1000;
    const started = performance.now();
    let failure: RotationFailedError | undefined;

    for (let attempt = 1; attempt <= attempts; attempt++) {
      const steps: StepTiming[] = [];
      let current: RotationStep = STEPS[0];
      try {
        for (const step of STEPS) {
          current = step;
          const result = await this.#invokeStep({
            secretId,
            eventSecretId,
            token,
            strategy,
            attempt,
            step,
            callLog: input.callLog,
          });
          steps.push({ step, outcome: result.outcome, durationMs: result.durationMs });
        }
        const report: RotationReport = {
          secretId,
          versionId: token,
          strategy,
          attempts: attempt,
          steps,
          durationMs: Math.round(performance.now() - started),
        };
        this.#settle(token, { report });
        this.#opts.onRotation?.(report);
        return report;
      } catch (err) {
        failure = new RotationFailedError(secretId, token, attempt, current, err);
        if (attempt < attempts) await delay(baseDelayMs * 2 ** (attempt - 1));
      }
    }
    // attempts >= 1, so the loop ran and failed at least once.
    const error = failure as RotationFailedError;
    this.#settle(token, { error });
    this.#opts.onFailure?.(error);
    throw error;
  }

  async #invokeStep(input: {
    secretId: string;
    eventSecretId: string;
    token: string;
    strategy: RotationStrategy;
    attempt: number;
    step: RotationStep;
    callLog: CallLog | undefined;
  }): Promise<{ outcome: StepOutcome; durationMs: number }> {
    const { secretId, token, strategy, attempt, step } = input;
    const event: RotationEvent = { SecretId: input.eventSecretId, ClientRequestToken: token, Step: step };
    const startedAt = new Date();
    const t0 = performance.now();
    let outcome: StepOutcome | undefined;
    let error: Error | undefined;
    try {
      const result = this.#opts.invoke
        ? await this.#opts.invoke(strategy, event)
        : await this.#function(strategy)(event);
      outcome = (result as Partial<StepResult> | undefined)?.outcome ?? 'tested';
    } catch (err) {
      error = toError(err);
    }
    const durationMs = Math.round(performance.now() - t0);
    const errorType = error?.name;
    input.callLog?.record({
      time: startedAt.toISOString(),
      caller: 'secretsmanager',
      operation: `InvokeRotationHandler.${step}`,
      secretId,
      outcome: error === undefined ? 'ok' : 'error',
      ...(errorType !== undefined && { errorType }),
      durationMs,
    });
    await this.#opts.onStep?.({
      secretId,
      versionId: token,
      strategy,
      attempt,
      step,
      startedAt,
      durationMs,
      ...(outcome !== undefined && { outcome }),
      ...(errorType !== undefined && { errorType }),
    });
    if (error !== undefined) throw error;
    return { outcome: outcome ?? 'tested', durationMs };
  }

  #function(strategy: RotationStrategy): RotationHandler {
    let fn = this.#functions.get(strategy);
    if (!fn) {
      const config = loadRotationConfig({ ...this.#opts.functionEnv, ROTATION_STRATEGY: strategy });
      fn = createRotationHandler({
        config,
        secretsManager: this.#opts.secretsManager,
        logger: this.#opts.functionLogger ?? createLogger({ level: 'silent' }),
        ...(this.#opts.rds && { rds: this.#opts.rds }),
      });
      this.#functions.set(strategy, fn);
    }
    return fn;
  }

  #settle(token: string, result: { report: RotationReport } | { error: Error }): void {
    this.#settled.set(token, result);
    // Keep the outcome of recent rotations only, for late waitForRotation() calls.
    if (this.#settled.size > 200) {
      const oldest = this.#settled.keys().next().value;
      if (oldest !== undefined) this.#settled.delete(oldest);
    }
    const waiters = this.#waiters.get(token) ?? [];
    this.#waiters.delete(token);
    for (const waiter of waiters) {
      if ('report' in result) waiter.resolve(result.report);
      else waiter.reject(result.error);
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The local stand-in ARN of the rotation function of a strategy: `...:function:rotation-<strategy>`. */
export function rotationFunctionArn(strategy: RotationStrategy, region: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${FUNCTION_NAME_PREFIX}${strategy}`;
}

/** The strategy a RotationLambdaARN names, if it is one of the rotator's functions. */
export function strategyOfFunction(functionArn: string | undefined): RotationStrategy | undefined {
  const name = functionArn?.split(':function:')[1]?.split(':')[0];
  const strategy = name?.startsWith(FUNCTION_NAME_PREFIX)
    ? name.slice(FUNCTION_NAME_PREFIX.length)
    : undefined;
  return (STRATEGIES as readonly string[]).includes(strategy ?? '')
    ? (strategy as RotationStrategy)
    : undefined;
}

/** Default reservation: RotateSecret with the token (endpoints that reserve and run nothing themselves). */
export const reserveWithRotateSecret: Reservation = async ({ client, secretId, token, functionArn }) => {
  await client.send(
    new RotateSecretCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      RotationLambdaARN: functionArn,
    }),
  );
};

/**
 * Reservation on an emulator without Lambda (moto, LocalStack): RotateSecret naming a function that
 * does not exist. moto reserves the version before it fails; LocalStack does not (callers check).
 */
export const reserveOnEmulator: Reservation = async ({ client, secretId, token, functionArn }) => {
  try {
    await client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        RotationLambdaARN: functionArn,
        // moto reports RotationEnabled=true only with a schedule; the handler refuses a secret
        // whose rotation is turned off. Nothing runs this schedule on an emulator.
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
};

/** One line for a finished rotation: the version and each step's duration (never a value). */
export function formatReport(report: RotationReport): string {
  const steps = report.steps.map((s) => `${s.step} ${s.durationMs} ms`).join(', ');
  const retried = report.attempts > 1 ? `, after ${report.attempts} attempts` : '';
  return `rotated ${report.secretId} to version ${report.versionId} (${report.strategy}${retried}): ${steps}; total ${report.durationMs} ms`;
}
