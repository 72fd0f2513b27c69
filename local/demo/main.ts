/**
 * npm run demo — the whole pattern on one machine, no Docker, no AWS account:
 * embedded PostgreSQL + the local Secrets Manager endpoint + the rotator, N app processes (as N
 * Fargate tasks), a gentle load, and a rotation every --every seconds. One line per second; one
 * line per rotation; a verdict on exit (Ctrl-C, or after --duration). Exit code 1 if any request failed.
 *
 *   npm run demo -- [--strategy alternating-users|single-user] [--every 20] [--tasks 2] [--rate 20] [--duration 0]
 */
import { parseArgs } from 'node:util';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { STRATEGIES, type RotationStrategy } from '../../rotation/config.js';
import { spawnApp, type AppProcess } from '../app-process.js';
import { startEmbeddedStack } from '../embedded-stack.js';
import { startGentleLoad } from './gentle-load.js';

const { values } = parseArgs({
  options: {
    strategy: { type: 'string', default: 'alternating-users' },
    every: { type: 'string', default: '20' },
    tasks: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    duration: { type: 'string', default: '0' },
  },
});

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

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const say = (line: string) => {
  console.log(`${elapsed()}  ${line}`);
};

let rotations = 0;
let rotationFailures = 0;
const stack = await startEmbeddedStack({
  log: (line) => {
    if (!line.startsWith('bootstrap:')) say(line);
  },
  rotation: {
    strategy,
    onRotation: () => {
      rotations++;
    },
    onFailure: () => {
      rotationFailures++;
    },
  },
});
say(`stack up: PostgreSQL 127.0.0.1:${stack.postgres.port}, Secrets Manager ${stack.secretsManager.url}`);

const tasks: AppProcess[] = await Promise.all(
  Array.from({ length: taskCount }, () =>
    spawnApp(
      { ...stack.env, CREDENTIAL_REFRESH_SECONDS: '5', SHUTDOWN_DELAY_SECONDS: '1' },
      { keepLines: 200 },
    ),
  ),
);
await Promise.all(tasks.map((t) => waitUntilReady(t)));
say(`${taskCount} tasks serving: ${tasks.map((t) => t.url).join(', ')}`);
say(
  `strategy ${strategy}, a rotation every ${everySeconds}s, ${rate} requests/s${durationSeconds ? `, for ${durationSeconds}s` : ''}; Ctrl-C to stop`,
);

const load = startGentleLoad(() => tasks.map((t) => t.url), rate);
const admin = stack.secretsManagerClient('admin');
const rotateTimer = setInterval(() => {
  admin.send(new RotateSecretCommand({ SecretId: stack.appSecretId })).catch((err: unknown) => {
    say(`RotateSecret refused: ${err instanceof Error ? err.name : String(err)}`);
  });
}, everySeconds * 1000);

const statusTimer = setInterval(() => {
  void status();
}, 1000);

async function status(): Promise<void> {
  const s = load.takeSecond();
  const states = await Promise.all(
    tasks.map(async (t, i) => {
      try {
        const body = (await (
          await fetch(`${t.url}/health/ready`, { signal: AbortSignal.timeout(900) })
        ).json()) as {
          ready: boolean;
          credentials: { username: string; versionId: string };
          pool: { generation: number };
        };
        return `task${i + 1} ${body.ready ? 'ready' : 'UNREADY'} ${body.credentials.username}@${body.credentials.versionId.slice(0, 8)} pool#${body.pool.generation}`;
      } catch {
        return `task${i + 1} ?`;
      }
    }),
  );
  say(`${String(s.ok).padStart(4)} ok ${String(s.failed).padStart(3)} failed | ${states.join(' | ')}`);
}

let stopping: Promise<void> | undefined;
const stop = (reason: string) => (stopping ??= shutdown(reason));
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));
if (durationSeconds > 0)
  setTimeout(() => void stop(`${durationSeconds}s elapsed`), durationSeconds * 1000).unref();

async function shutdown(reason: string): Promise<void> {
  say(`stopping (${reason})`);
  clearInterval(rotateTimer);
  clearInterval(statusTimer);
  await load.stop();
  for (const t of tasks) t.child.kill('SIGTERM');
  const codes = await Promise.all(tasks.map((t) => t.exited));
  await stack.stop();
  const totals = load.totals();
  console.log('');
  console.log(`requests ${totals.sent}, ok ${totals.ok}, failed ${totals.failed}`);
  console.log(`rotations ${rotations} (${strategy}), rotation failures ${rotationFailures}`);
  console.log(`tasks exited with ${codes.join(', ')}`);
  for (const f of totals.failures) console.log(`  failed: ${f}`);
  const ok = totals.failed === 0 && rotationFailures === 0 && codes.every((c) => c === 0);
  console.log(ok ? 'verdict: PASS, no request failed' : 'verdict: FAIL');
  process.exit(ok ? 0 : 1);
}

async function waitUntilReady(task: AppProcess): Promise<void> {
  await task.waitForLine(/Server listening|"level":[56]0/);
  const response = await fetch(`${task.url}/health/ready`);
  if (response.status !== 200) {
    throw new Error(`task ${task.url} is not ready:\n${task.lines.slice(-10).join('\n')}`);
  }
}
