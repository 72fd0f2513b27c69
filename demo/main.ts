/**
 * npm run demo — the whole pattern on one machine, no Docker, no AWS account:
 * embedded PostgreSQL + the local Secrets Manager endpoint + the rotator, N app processes (as N
 * Fargate tasks), a gentle load, and a rotation every --every seconds. One line per second; one
 * line per rotation; a verdict on exit (Ctrl-C, or after --duration). Exit code 1 if any request failed.
 * A dashboard (demo/dashboard.ts) on http://127.0.0.1:--dashboard-port shows the same live,
 * with a chart, the rotation timeline and a "Rotate now" button (docs/demo.md).
 *
 *   npm run demo -- [--strategy alternating-users|single-user] [--every 20] [--tasks 2] [--rate 20] [--duration 0]
 *                   [--dashboard-port 8080]
 */
import { parseArgs } from 'node:util';
import { STRATEGIES, type RotationStrategy } from '../rotation/public.js';
import { spawnApp, type AppProcess } from '../local/app-process.js';
import { startFleet } from '../local/fleet.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../local/interrupts.js';
import { stopGroupsNow } from '../local/own-group.js';
import {
  createDashboard,
  type DemoDashboard,
  type RotateOutcome,
  type RotationSource,
  type TaskStatus,
} from './dashboard.js';
import { startGentleLoad, type GentleLoad } from './gentle-load.js';

const USAGE = `npm run demo -- [options]
  --strategy <name>        alternating-users (default) or single-user
  --every <s>              a rotation every <s> seconds (default 20)
  --tasks <n>              app processes, as Fargate tasks (default 2)
  --rate <req/s>           the gentle load over all tasks (default 20)
  --duration <s>           stop by itself after <s> seconds (default 0: until Ctrl-C)
  --dashboard-port <port>  the live dashboard on 127.0.0.1 (default 8080; 0: any free port; a busy one falls back)
  -h, --help               this text
Ctrl-C stops it in order and prints the verdict; a second Ctrl-C stops everything at once.`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        strategy: { type: 'string', default: 'alternating-users' },
        every: { type: 'string', default: '20' },
        tasks: { type: 'string', default: '2' },
        rate: { type: 'string', default: '20' },
        duration: { type: 'string', default: '0' },
        'dashboard-port': { type: 'string', default: '8080' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const values = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function positive(name: string, raw: string, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    console.error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}
if (!(STRATEGIES as readonly string[]).includes(values.strategy)) {
  console.error(`--strategy must be one of ${STRATEGIES.join(', ')}, got "${values.strategy}"`);
  process.exit(2);
}
const strategy = values.strategy as RotationStrategy;
const everySeconds = positive('every', values.every);
const taskCount = Math.round(positive('tasks', values.tasks));
const rate = positive('rate', values.rate);
const durationSeconds = positive('duration', values.duration, true);
const dashboardPort = positive('dashboard-port', values['dashboard-port'], true);
if (!Number.isInteger(dashboardPort) || dashboardPort > 65535) {
  console.error(
    `--dashboard-port must be a TCP port (0 for any free one), got "${values['dashboard-port']}"`,
  );
  process.exit(2);
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const say = (line: string) => {
  console.log(`${elapsed()}  ${line}`);
};

// Ctrl-C from the first moment: during start-up the stop waits until everything started is up.
let stopping: Promise<void> | undefined;
let stopRequested: string | undefined;
// Set once everything the stop touches exists (below); read by the signal handlers before that.
// eslint-disable-next-line prefer-const
let load: GentleLoad | undefined;
const stop = (reason: string) => {
  if (stopRequested !== undefined) return;
  stopRequested = reason;
  if (load) stopping ??= shutdown(reason);
  else say(`${reason}: stopping once start-up is done (again to stop at once)`);
};
onInterrupt({ stop, stopNow });

let rotations = 0;
let rotationFailures = 0;
// Created once the stack is up (no rotation starts before the timer or the button); the stack's
// rotation hooks below read it, hence `let` although it is assigned once.
// eslint-disable-next-line prefer-const
let dashboard: DemoDashboard | undefined;
const fleet = await startFleet({
  stack: {
    log: (line) => {
      if (!line.startsWith('bootstrap:')) say(line);
    },
    rotation: {
      strategy,
      onRotation: (report) => {
        rotations++;
        dashboard?.onRotation(report);
      },
      onFailure: (error) => {
        rotationFailures++;
        dashboard?.onFailure(error);
      },
      onStep: (invocation) => {
        dashboard?.onStep(invocation);
      },
    },
  },
  tasks: taskCount,
  together: true,
  taskEnv: { CREDENTIAL_REFRESH_SECONDS: '5', SHUTDOWN_DELAY_SECONDS: '1' },
  spawnTask: (env) => spawnApp(env, { keepLines: 200 }),
});
const { stack, tasks } = fleet;
say(`stack up: PostgreSQL 127.0.0.1:${stack.postgres.port}, Secrets Manager ${stack.secretsManager.url}`);
say(`${taskCount} tasks serving: ${tasks.map((t) => t.url).join(', ')}`);
dashboard = createDashboard({
  info: {
    strategy,
    everySeconds,
    rate,
    taskCount,
    durationSeconds,
    secretId: stack.appSecretId,
    startedAt: started,
  },
  rotate: () => requestRotation('dashboard'),
});
try {
  const { url, fellBackFrom } = await dashboard.listen(dashboardPort);
  say(`dashboard: ${url}${fellBackFrom !== undefined ? ` (port ${fellBackFrom} is busy)` : ''}`);
} catch (err) {
  say(`dashboard not started: ${err instanceof Error ? err.message : String(err)}`);
}
say(
  `strategy ${strategy}, a rotation every ${everySeconds}s, ${rate} requests/s${durationSeconds ? `, for ${durationSeconds}s` : ''}; Ctrl-C to stop`,
);

const gentleLoad = await startGentleLoad(
  tasks.map((t) => t.url),
  rate,
  durationSeconds * 1000,
);
let nextRotationAt: number | null = Date.now() + everySeconds * 1000;
const rotateTimer = setInterval(() => {
  nextRotationAt = Date.now() + everySeconds * 1000;
  void requestRotation('timer');
}, everySeconds * 1000);

/** RotateSecret through the admin client: the timer's and the dashboard's "Rotate now". */
async function requestRotation(source: RotationSource): Promise<RotateOutcome> {
  try {
    const versionId = await fleet.requestRotation(strategy);
    dashboard?.rotationRequested(source, versionId);
    if (source === 'dashboard') say(`Rotate now (dashboard): RotateSecret started version ${versionId}`);
    return { status: 'requested', versionId };
  } catch (err) {
    const error = err instanceof Error ? err.name : String(err);
    const message = err instanceof Error ? err.message : '';
    say(`RotateSecret refused: ${error}${source === 'dashboard' ? ' (Rotate now, dashboard)' : ''}`);
    dashboard?.rotationRefused(source, error, message);
    return { status: 'refused', error, message };
  }
}

const statusTimer = setInterval(() => {
  void status();
}, 1000);

async function status(): Promise<void> {
  const s = gentleLoad.takeSecond();
  const at = Date.now();
  const states = await Promise.all(tasks.map((t, i) => readTask(t, `task${i + 1}`)));
  say(
    `${String(s.ok).padStart(4)} ok ${String(s.failed).padStart(3)} failed | ${states.map(formatTask).join(' | ')}`,
  );
  const totals = gentleLoad.totals();
  dashboard?.recordSecond({
    second: { at, ...s },
    totals: { sent: totals.sent, ok: totals.ok, failed: totals.failed },
    tasks: states,
    rotations: { done: rotations, failed: rotationFailures },
    nextRotationAt,
  });
}

async function readTask(task: AppProcess, name: string): Promise<TaskStatus> {
  const unknown: TaskStatus = {
    name,
    url: task.url,
    reachable: false,
    ready: false,
    draining: false,
    username: null,
    versionId: null,
    stage: null,
    poolGeneration: null,
    poolTotal: null,
    poolIdle: null,
  };
  try {
    const response = await fetch(`${task.url}/health/ready`, { signal: AbortSignal.timeout(900) });
    const body = (await response.json()) as {
      ready: boolean;
      draining: boolean;
      credentials: { username: string | null; versionId: string | null; stage: string | null };
      pool: { generation: number; total: number; idle: number };
    };
    return {
      ...unknown,
      reachable: true,
      ready: body.ready,
      draining: body.draining,
      username: body.credentials.username,
      versionId: body.credentials.versionId,
      stage: body.credentials.stage,
      poolGeneration: body.pool.generation,
      poolTotal: body.pool.total,
      poolIdle: body.pool.idle,
    };
  } catch {
    return unknown;
  }
}

function formatTask(t: TaskStatus): string {
  if (!t.reachable || t.versionId === null) return `${t.name} ?`;
  return `${t.name} ${t.ready ? 'ready' : 'UNREADY'} ${t.username ?? '?'}@${t.versionId.slice(0, 8)} pool#${t.poolGeneration ?? '?'}`;
}

// Everything the stop touches exists from here on.
load = gentleLoad;
if (stopRequested !== undefined) stopping ??= shutdown(stopRequested);
if (durationSeconds > 0)
  setTimeout(() => {
    stop(`${durationSeconds}s elapsed`);
  }, durationSeconds * 1000).unref();

/**
 * The orderly stop: the dashboard (its event streams end), the load, then the tasks (SIGTERM, as
 * ECS stops them: each waits SHUTDOWN_DELAY_SECONDS, drains and exits 0), then the stack.
 */
async function shutdown(reason: string): Promise<void> {
  say(`stopping (${reason})`);
  clearInterval(rotateTimer);
  clearInterval(statusTimer);
  nextRotationAt = null;
  await dashboard?.close();
  await load?.stop();
  const codes = await fleet.stop();
  printTotals();
  console.log(`tasks exited with ${codes.join(', ')}`);
  const ok = load?.totals().failed === 0 && rotationFailures === 0 && codes.every((c) => c === 0);
  console.log(ok ? 'verdict: PASS, no request failed' : 'verdict: FAIL');
  process.exit(ok ? 0 : 1);
}

/** A second Ctrl-C: the tasks killed, PostgreSQL shut down immediately, no verdict. */
function stopNow(reason: string): void {
  say(`${reason}: stopping at once`);
  stopGroupsNow();
  printTotals();
  console.log('verdict: INTERRUPTED, stopped at once: the run was not judged');
  process.exit(INTERRUPTED_EXIT_CODE);
}

function printTotals(): void {
  const totals = load?.totals() ?? { sent: 0, ok: 0, failed: 0, failures: [] };
  console.log('');
  console.log(`requests ${totals.sent}, ok ${totals.ok}, failed ${totals.failed}`);
  console.log(`rotations ${rotations} (${strategy}), rotation failures ${rotationFailures}`);
  for (const f of totals.failures) console.log(`  failed: ${f}`);
}
