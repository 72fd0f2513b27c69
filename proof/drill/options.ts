/** `npm run drill -- …` options, validated; every bad value is named. */
import { parseArgs } from 'node:util';
import { STRATEGIES, type RotationStrategy } from '../../rotation/public.js';
import { UsageError } from '../cli/index.js';
import { assertLoopbackUrl } from '../load/index.js';
import { FAULT_NAMES, type DrillOptions, type FaultName } from './drill-types.js';

export { UsageError } from '../cli/index.js';
export type { DrillOptions } from './drill-types.js';

/** Faults that only make sense with one strategy (it becomes their default). */
const FAULT_STRATEGY: Partial<Record<FaultName, RotationStrategy>> = {
  'sm-outage': 'alternating-users',
  'single-user-window': 'single-user',
  'connection-limit': 'alternating-users',
};

/** Faults a k6 run can take: none of them takes a task out of service. */
const K6_FAULTS = new Set<FaultName>(FAULT_NAMES.filter((f) => f !== 'sigterm'));

export const USAGE = `npm run drill -- [options]
  --strategy alternating-users|single-user   rotation strategy (default alternating-users;
                         single-user with --fault single-user-window)
  --rotations <n>        forced rotations, spread over the middle 70 % of the run (default 3)
  --duration <s>         load duration in seconds (default 60)
  --rate <req/s>         fixed arrival rate (default 100)
  --tasks <n>            app processes (default 2)
  --seed <n>             request mix seed (default 1)
  --out <dir>            report directory (default reports/)
  --app rotating|naive   the real service, or the control app that reads its password once (default rotating)
  --target-url <url>     an already-running task (repeat, or comma-separate); no stack is started.
                         Then DB_SECRET_ID/--secret-id, DB_MASTER_SECRET_ID/--master-secret-id,
                         AWS_ENDPOINT_URL_SECRETS_MANAGER and admin AWS_* credentials come from the environment
  --secret-id <id>  --master-secret-id <id>  --scenario <file>
  --load node|k6         the load generator: the Node open model (default), or k6 running
                         load/k6/rotation.js with the same mix, rate and duration (k6 on PATH, else
                         tools/k6/setup.sh's); k6's thresholds and exit code join the verdict
  --refresh-seconds <s>       CREDENTIAL_REFRESH_SECONDS of started tasks (default 5)
  --max-lifetime-seconds <s>  DB_POOL_MAX_LIFETIME_SECONDS of started tasks, both apps (default 10)
  --max-late-ms <ms>     a request that cannot be sent this late is dropped (default 1000)
  --max-in-flight <n>    a request due while this many are unanswered is dropped (default 1000)
  --timeout-ms <ms>      a request unanswered this long failed (default 10000)
  --settle-seconds <s>   rotation window = createSecret start … finishSecret end + this (default 5)
  --kill-connections     after each rotation, terminate every database connection of the app's roles
                         (as a failover would), so new connections are needed at once
  --fault <name>         a fault during the run, with its own checks (embedded stack only):
                         ${FAULT_NAMES.join(', ')}
  --pool-max <n>         DB_POOL_MAX of started tasks (default: the app's, 10; connection-limit: 5)
  --max-connections <n>  max_connections of the embedded PostgreSQL (default 100; 3 of them are
                         reserved for superusers: the drill's checks and the rotation function)
  --repeat <n>           run the same drill n times in a row; prints each verdict and the flake rate,
                         exit 0 only when every run passed (default 1)
  --quiet                no per-second progress line`;

export function parseDrillArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DrillOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        strategy: { type: 'string' },
        rotations: { type: 'string', default: '3' },
        duration: { type: 'string', default: '60' },
        rate: { type: 'string', default: '100' },
        tasks: { type: 'string', default: '2' },
        seed: { type: 'string', default: '1' },
        out: { type: 'string', default: 'reports' },
        app: { type: 'string', default: 'rotating' },
        'target-url': { type: 'string', multiple: true },
        'secret-id': { type: 'string' },
        'master-secret-id': { type: 'string' },
        scenario: { type: 'string' },
        load: { type: 'string', default: 'node' },
        'refresh-seconds': { type: 'string', default: '5' },
        'max-lifetime-seconds': { type: 'string', default: '10' },
        'max-late-ms': { type: 'string', default: '1000' },
        'max-in-flight': { type: 'string', default: '1000' },
        'timeout-ms': { type: 'string', default: '10000' },
        'settle-seconds': { type: 'string', default: '5' },
        'kill-connections': { type: 'boolean', default: false },
        fault: { type: 'string' },
        'pool-max': { type: 'string' },
        'max-connections': { type: 'string' },
        repeat: { type: 'string', default: '1' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');
  const problems: string[] = [];
  const num = (name: string, raw: string, min: number, max: number, integer = true): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(
        `--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`,
      );
      return min;
    }
    return n;
  };
  const fault = values.fault as FaultName | undefined;
  if (fault !== undefined && !FAULT_NAMES.includes(fault))
    problems.push(`--fault must be one of ${FAULT_NAMES.join(', ')}, got "${values.fault ?? ''}"`);
  const needed = fault === undefined ? undefined : FAULT_STRATEGY[fault];
  const strategy = values.strategy ?? needed ?? 'alternating-users';
  if (!(STRATEGIES as readonly string[]).includes(strategy))
    problems.push(`--strategy must be one of ${STRATEGIES.join(', ')}, got "${strategy}"`);
  else if (needed !== undefined && strategy !== needed)
    problems.push(`--fault ${fault ?? ''} needs --strategy ${needed}, got "${strategy}"`);
  if (values.app !== 'rotating' && values.app !== 'naive')
    problems.push(`--app must be rotating or naive, got "${values.app}"`);
  const targetUrls = (values['target-url'] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const url of targetUrls) {
    try {
      assertLoopbackUrl(url);
    } catch (err) {
      problems.push(`--target-url: ${(err as Error).message}`);
    }
  }
  if (values.load !== 'node' && values.load !== 'k6')
    problems.push(`--load must be node or k6, got "${values.load}"`);
  if (values.load === 'k6' && fault !== undefined && !K6_FAULTS.has(fault))
    problems.push(
      `--fault ${fault} takes a task away; k6 sends to every target in turn, not by readiness: use --load node`,
    );
  if (targetUrls.length > 0 && values.app === 'naive')
    problems.push('--app naive starts its own tasks; it cannot be combined with --target-url');
  if (targetUrls.length > 0 && fault !== undefined)
    problems.push(
      '--fault acts on the embedded stack and the tasks it starts; it cannot be combined with --target-url',
    );
  const options: DrillOptions = {
    strategy: strategy as RotationStrategy,
    rotations: num('rotations', values.rotations, 0, 100),
    durationSeconds: num('duration', values.duration, 5, 3600, false),
    rate: num('rate', values.rate, 1, 5000, false),
    tasks: num('tasks', values.tasks, 1, 16),
    seed: num('seed', values.seed, 0, 2 ** 32 - 1),
    out: values.out,
    app: values.app as 'rotating' | 'naive',
    targetUrls,
    refreshSeconds: num('refresh-seconds', values['refresh-seconds'], 1, 3600),
    maxLifetimeSeconds: num('max-lifetime-seconds', values['max-lifetime-seconds'], 10, 86_400),
    maxLateMs: num('max-late-ms', values['max-late-ms'], 1, 60_000),
    maxInFlight: num('max-in-flight', values['max-in-flight'], 1, 100_000),
    timeoutMs: num('timeout-ms', values['timeout-ms'], 100, 120_000),
    settleSeconds: num('settle-seconds', values['settle-seconds'], 0, 600, false),
    killConnections: values['kill-connections'],
    load: values.load === 'k6' ? 'k6' : 'node',
    repeat: num('repeat', values.repeat, 1, 50),
    quiet: values.quiet,
  };
  const secretId = values['secret-id'] ?? (targetUrls.length > 0 ? env.DB_SECRET_ID : undefined);
  const masterSecretId =
    values['master-secret-id'] ?? (targetUrls.length > 0 ? env.DB_MASTER_SECRET_ID : undefined);
  if (secretId !== undefined) options.secretId = secretId;
  if (masterSecretId !== undefined) options.masterSecretId = masterSecretId;
  if (values.scenario !== undefined) options.scenario = values.scenario;
  if (fault !== undefined && FAULT_NAMES.includes(fault)) options.fault = fault;
  if (values['pool-max'] !== undefined) options.poolMax = num('pool-max', values['pool-max'], 1, 1000);
  if (values['max-connections'] !== undefined)
    options.maxConnections = num('max-connections', values['max-connections'], 10, 10_000);
  if (targetUrls.length > 0 && (options.poolMax !== undefined || options.maxConnections !== undefined))
    problems.push(
      '--pool-max and --max-connections set up the embedded stack; they cannot be combined with --target-url',
    );
  if (targetUrls.length > 0) {
    if (options.secretId === undefined) problems.push('--target-url needs --secret-id or DB_SECRET_ID');
    const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    if (endpoint === undefined) {
      problems.push(
        '--target-url needs AWS_ENDPOINT_URL_SECRETS_MANAGER (the drill never rotates a real AWS secret)',
      );
    } else {
      try {
        assertLoopbackUrl(endpoint);
      } catch (err) {
        problems.push(`AWS_ENDPOINT_URL_SECRETS_MANAGER: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return options;
}
