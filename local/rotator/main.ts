/**
 * `npm run rotate`: starts rotations of a secret and reports each one when it is done.
 *
 *   npm run rotate -- --secret-id <id> [--strategy single-user|alternating-users]
 *                     [--every <seconds>] [--count <n>] [--timeout <seconds>]
 *                     [--invoke service|local] [--reserve auto|rotate-secret|put-pending]
 *
 * Endpoint, region and credentials come from the environment, as for any AWS SDK program
 * (`set -a; . .local/stack.env; set +a` after `npm run stack`). Each rotation: RotateSecret with a
 * new ClientRequestToken (and, with --strategy, the RotationLambdaARN of that strategy's function),
 * then wait until the rotation function has finished. Against `npm run stack`, the function is the
 * rotator registered with the stack's endpoint; its step durations are read from the endpoint's
 * call log. Elsewhere (AWS itself) only the total is known.
 *
 * --invoke local: for a Secrets Manager that cannot invoke a rotation function (LocalStack with
 * only Secrets Manager enabled, moto; `docker compose` uses it). This process plays the service:
 * it reserves the AWSPENDING version (--reserve, see in-process.ts: RotateSecret where that
 * reserves one, as on moto; PutSecretValue by the function's own createSecret code where it does
 * not, as on LocalStack; `auto`, the default, tries the first and falls back to the second) and
 * invokes createSecret → setSecret → testSecret → finishSecret in-process, through the same
 * handler module the Lambda runs, retried as the service retries. The function's environment is
 * this process's (DB_SSL, DB_OWNER_ROLE, EXCLUDE_CHARACTERS, ...; LOG_LEVEL for its log, `warn`
 * by default). The strategy: --strategy, else the one the secret's RotationLambdaARN names, else
 * alternating-users. Not for AWS itself, nor for `npm run stack`'s endpoint (its rotator already
 * runs on RotateSecret): use the default --invoke service there.
 *
 * One line per rotation: the new version id and each step's duration. Never a secret value.
 * --every without --count repeats until Ctrl-C or SIGTERM (the rotation under way is awaited).
 * Exit code 1 when a rotation fails, 2 on bad arguments.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import {
  STRATEGIES,
  type RotationStrategy,
  STEPS,
  createLogger,
  type LogLevel,
} from '../../rotation/public.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../interrupts.js';
import { inProcessReservation, RESERVATION_MODES, type ReservationMode } from './in-process.js';
import { rotationFunctionArn, Rotator, strategyOfFunction } from './rotator.js';

interface CallRecord {
  time: string;
  caller: string;
  operation: string;
  secretId?: string;
  outcome: string;
  errorType?: string;
  durationMs: number;
}

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) fail(`--${name} must be a positive number, got "${value}"`);
  return parsed;
}

const { values } = parseArgs({
  options: {
    'secret-id': { type: 'string' },
    strategy: { type: 'string' },
    every: { type: 'string' },
    count: { type: 'string' },
    timeout: { type: 'string', default: '120' },
    invoke: { type: 'string', default: 'service' },
    reserve: { type: 'string' },
  },
  strict: true,
});
const secretId = values['secret-id'] ?? fail('--secret-id is required');
const strategyArg = values.strategy;
if (strategyArg !== undefined && !(STRATEGIES as readonly string[]).includes(strategyArg)) {
  fail(`--strategy must be one of ${STRATEGIES.join(', ')}, got "${strategyArg}"`);
}
const strategy = strategyArg as RotationStrategy | undefined;
const everySeconds = positive('every', values.every);
const countArg = positive('count', values.count);
if (countArg !== undefined && !Number.isInteger(countArg)) fail('--count must be a whole number');
const count = countArg ?? (everySeconds === undefined ? 1 : Number.POSITIVE_INFINITY);
const timeoutMs = (positive('timeout', values.timeout) ?? 120) * 1000;
if (values.invoke !== 'service' && values.invoke !== 'local') {
  fail(`--invoke must be service or local, got "${values.invoke}"`);
}
const invokeLocally = values.invoke === 'local';
if (values.reserve !== undefined && !invokeLocally) fail('--reserve applies only with --invoke local');
const reserveMode = values.reserve ?? 'auto';
if (!(RESERVATION_MODES as readonly string[]).includes(reserveMode)) {
  fail(`--reserve must be one of ${RESERVATION_MODES.join(', ')}, got "${reserveMode}"`);
}

const endpointUrl = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL;
const client = new SecretsManagerClient({});

/** The local endpoint's control API, when the endpoint is the local one. */
async function callLogUrl(): Promise<string | undefined> {
  if (endpointUrl === undefined) return undefined;
  const base = endpointUrl.replace(/\/+$/, '');
  try {
    const response = await fetch(`${base}/_local/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok ? `${base}/_local/calls?caller=secretsmanager` : undefined;
  } catch {
    return undefined;
  }
}

async function serviceRecords(url: string | undefined, since: number): Promise<CallRecord[]> {
  if (url === undefined) return [];
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { calls?: CallRecord[] };
  return (body.calls ?? []).filter((c) => c.secretId === secretId && Date.parse(c.time) >= since - 5);
}

const describe = (): Promise<DescribeSecretCommandOutput> =>
  client.send(new DescribeSecretCommand({ SecretId: secretId }));

function unfinishedVersion(described: DescribeSecretCommandOutput): string | undefined {
  return Object.entries(described.VersionIdsToStages ?? {}).find(
    ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
  )?.[0];
}

async function rotateOnce(index: number, logUrl: string | undefined): Promise<void> {
  const before = await describe();
  const stuck = unfinishedVersion(before);
  if (stuck !== undefined) {
    throw new Error(`A previous rotation isn't complete: version ${stuck} holds AWSPENDING`);
  }
  const token = randomUUID();
  const started = Date.now();
  const region = await client.config.region();
  await client.send(
    new RotateSecretCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      ...(strategy !== undefined && { RotationLambdaARN: rotationFunctionArn(strategy, region) }),
    }),
  );

  let described = await describe();
  if (described.VersionIdsToStages?.[token] === undefined) {
    throw new Error(
      'RotateSecret started no rotation: the endpoint has no rotation function (start the local stack with npm run stack)',
    );
  }
  const used = strategy ?? strategyOfFunction(described.RotationLambdaARN) ?? 'default strategy';
  // The local endpoint logs the function's end; elsewhere, the version becoming AWSCURRENT is the end.
  let records: CallRecord[] = [];
  for (;;) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`rotation to version ${token} did not finish within ${timeoutMs / 1000} s`);
    }
    await delay(100);
    described = await describe();
    const stages = described.VersionIdsToStages?.[token] ?? [];
    if (logUrl !== undefined) {
      records = await serviceRecords(logUrl, started);
      const end = records.find((r) => r.operation === 'InvokeRotationHandler');
      if (end?.outcome === 'error') {
        const failed = records.filter(
          (r) => r.operation.startsWith('InvokeRotationHandler.') && r.outcome === 'error',
        );
        const last = failed.at(-1);
        throw new Error(
          `rotation to version ${token} failed${last ? ` at ${last.operation.split('.')[1] ?? '?'} (${last.errorType ?? 'error'})` : ''}; see the stack's log`,
        );
      }
      if (end?.outcome === 'ok') break;
    } else if (stages.includes('AWSCURRENT')) {
      break;
    }
  }

  const total = Date.now() - started;
  const steps = STEPS.map((step) => {
    const last = records.filter((r) => r.operation === `InvokeRotationHandler.${step}`).at(-1);
    return last ? `${step} ${last.durationMs} ms` : undefined;
  }).filter((s) => s !== undefined);
  const attempts = records.filter((r) => r.operation === 'InvokeRotationHandler.createSecret').length;
  const of = Number.isFinite(count) ? `${index}/${count}` : String(index);
  console.log(
    `rotation ${of}: ${secretId} version ${token} (${used}${attempts > 1 ? `, ${attempts} attempts` : ''}) ` +
      `in ${total} ms${steps.length > 0 ? `: ${steps.join(', ')}` : ''}`,
  );
}

/** --invoke local: this process reserves the version and runs the four steps in-process. */
function localRotation(): (index: number) => Promise<void> {
  const functionEnv: Record<string, string | undefined> = { ...process.env };
  const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
  const logLevel = levels.find((level) => level === (functionEnv.LOG_LEVEL ?? 'warn'));
  if (logLevel === undefined) fail(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  // The function's log (JSON lines, passwords redacted) goes to stderr; one result line to stdout.
  const functionLogger = createLogger({
    level: logLevel,
    write: (line) => process.stderr.write(`${line}\n`),
  });
  const reservation = inProcessReservation({
    mode: reserveMode as ReservationMode,
    functionEnv,
    logger: functionLogger,
  });
  let rotator: Rotator | undefined;
  return async (index) => {
    rotator ??= new Rotator({
      secretsManager: client,
      strategy: 'alternating-users',
      functionEnv,
      functionLogger,
      region: await client.config.region(),
    });
    const used = strategy ?? strategyOfFunction((await describe()).RotationLambdaARN) ?? rotator.strategy;
    const report = await rotator.rotate(secretId, { strategy: used, reserve: reservation.forStrategy(used) });
    const of = Number.isFinite(count) ? `${index}/${count}` : String(index);
    const steps = report.steps.map((s) => `${s.step} ${s.durationMs} ms`).join(', ');
    console.log(
      `rotation ${of}: ${secretId} version ${report.versionId} (${report.strategy}, in-process, ` +
        `reserved by ${reservation.lastReservedBy ?? '?'}${report.attempts > 1 ? `, ${report.attempts} attempts` : ''}) ` +
        `in ${report.durationMs} ms: ${steps}`,
    );
  };
}

const state = { stopping: false };
const isStopping = (): boolean => state.stopping;
const stopped = new AbortController();
// docker compose stop / ECS send SIGTERM, a terminal Ctrl-C: the loop ends the same way.
onInterrupt({
  stop(reason) {
    state.stopping = true;
    stopped.abort();
    console.error(`stopping after the rotation under way (${reason}; again to quit now)`);
  },
  stopNow(reason) {
    console.error(`${reason}: quitting now`);
    process.exit(INTERRUPTED_EXIT_CODE);
  },
});

const logUrl = invokeLocally ? undefined : await callLogUrl();
const rotateLocally = invokeLocally ? localRotation() : undefined;
try {
  for (let i = 1; i <= count && !isStopping(); i++) {
    const started = Date.now();
    await (rotateLocally ? rotateLocally(i) : rotateOnce(i, logUrl));
    if (i < count && everySeconds !== undefined && !isStopping()) {
      // Ctrl-C ends the wait at once.
      await delay(Math.max(0, everySeconds * 1000 - (Date.now() - started)), undefined, {
        signal: stopped.signal,
      }).catch(() => undefined);
    }
  }
} catch (err) {
  console.error(`rotate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
