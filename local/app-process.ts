/**
 * The app as its own process (`node --import tsx app/src/main.ts`), as ECS runs it: real signals,
 * real exit codes, JSON log lines on stdout. In a process group of its own (own-group.ts): a
 * terminal's Ctrl-C reaches the command that started it, which stops it with SIGTERM as ECS does.
 * When that command dies without stopping it, SIGKILL: nobody reads its log any more, and a
 * graceful stop would block writing it to the closed pipe.
 */
import { type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pTimeout from 'p-timeout';
import { findFreePort } from './free-port.js';
import { spawnInOwnGroup } from './own-group.js';

export interface AppProcess {
  /** The process (a second one if the first died of a Ctrl-C while it was being forked). */
  child: ChildProcess;
  url: string;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the first line (past or future) matching `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code, once the process's output is read to its end. */
  exited: Promise<number | null>;
}

/** The app's entry point, from this project's root whatever the working directory. */
const MAIN = fileURLToPath(new URL('../app/src/main.ts', import.meta.url));

export async function spawnApp(
  env: Record<string, string>,
  /**
   * entry: another server with the same contract (the naive app); default the app's main.ts.
   * execPath: another Node binary (the benchmark's wrapper variant needs a newer one); default this one.
   * nodeArgs: options for that Node (the benchmark's --cpu-prof); none by default.
   */
  options: { keepLines?: number; entry?: string; execPath?: string; nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  const port = env.PORT ?? String(await findFreePort());
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', options.entry ?? MAIN];
  const start = (): ChildProcess => {
    const started = spawnInOwnGroup(options.execPath ?? process.execPath, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: port,
        LOG_LEVEL: 'info',
        // Local load (drill, demo, bench) all comes from 127.0.0.1: one client, far above a client's
        // write limit. The caller can still set one.
        RATE_LIMIT_WRITES_PER_MINUTE: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      onParentDeath: 'SIGKILL',
    });
    for (const output of [started.stdout, started.stderr]) {
      if (output) createInterface({ input: output }).on('line', onLine);
    }
    return started;
  };
  // Long runs (the demo) keep only the last lines in memory.
  const keep = options.keepLines ?? Number.POSITIVE_INFINITY;
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > keep) lines.shift();
    for (const w of [...watchers]) {
      if (w.pattern.test(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  let child = start();
  let restarted = false;
  const exited = new Promise<number | null>((resolve) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      // A terminal's Ctrl-C pressed while the child is being forked reaches it before it leaves the
      // terminal's process group (between fork and setsid): it dies of SIGINT before its first line.
      // Nothing here sends SIGINT to a child, so this is that race: the child is started again, once,
      // and the command's own Ctrl-C handling decides what happens next.
      if (signal === 'SIGINT' && lines.length === 0 && !restarted) {
        restarted = true;
        child = start();
        child.once('close', onExit);
        return;
      }
      resolve(code);
    };
    // 'close', not 'exit': by then every line the child printed has been read.
    child.once('close', onExit);
  });

  return {
    get child() {
      return child;
    },
    url: `http://127.0.0.1:${port}`,
    lines,
    exited,
    waitForLine(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => watchers.push({ pattern, resolve })),
        exited.then((code) => {
          throw new Error(
            `${options.entry ?? MAIN} exited (${code}) before a line matched ${pattern}:\n${lines.slice(-20).join('\n')}`,
          );
        }),
      ]);
    },
  };
}

/** SIGKILL for a process still running: the end of a run that could not stop it in order. */
export function killIfRunning(task: AppProcess): void {
  if (task.child.exitCode === null && task.child.signalCode === null) task.child.kill('SIGKILL');
}

/**
 * Ready: the app logged that it listens (or an error), then /health/ready answered 200, polled every
 * `pollMs` for at most 30 s; otherwise an error with its last lines. An app that exits before that
 * first line ends the wait at once.
 */
export async function waitUntilReady(task: AppProcess, pollMs = 200): Promise<void> {
  await task.waitForLine(/Server listening|"level":[56]0/);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${task.url}/health/ready`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`task ${task.url} did not become ready:\n${task.lines.slice(-10).join('\n')}`);
}

/** SIGTERM, then the exit code; SIGKILL when it has not exited within `timeoutMs` (`killed`). */
export async function terminate(
  task: AppProcess,
  timeoutMs = 30_000,
): Promise<{ code: number | null; killed: boolean }> {
  task.child.kill('SIGTERM');
  const code = await pTimeout(task.exited, { milliseconds: timeoutMs, fallback: () => 'timeout' as const });
  if (code !== 'timeout') return { code, killed: false };
  task.child.kill('SIGKILL');
  return { code: await task.exited, killed: true };
}

/** Every task at once, as ECS stops a service's tasks: their exit codes, in order. */
export async function stopAll(tasks: AppProcess[]): Promise<(number | null)[]> {
  return Promise.all(tasks.map(async (t) => (await terminate(t)).code));
}
