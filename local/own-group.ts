/**
 * Child processes of the long-running commands (demo, drill, stack, bench) in a process group of
 * their own. A terminal sends Ctrl-C's SIGINT to every process of its foreground group: children in
 * that group would each start stopping on their own, before the command could stop them in order
 * (load first, then the tasks, then the database). In their own group only the command gets it.
 *
 * Out of the terminal's group, a child would also outlive a command that dies without stopping it
 * (SIGKILL, a crash of the runtime). On Linux each child therefore starts through util-linux
 * `setpriv --pdeathsig`, which asks the kernel to send it `onParentDeath` when its parent exits;
 * setpriv then replaces itself with the command, so the child keeps its pid.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export interface OwnGroupOptions extends Omit<SpawnOptions, 'detached'> {
  /**
   * What the child gets when this process exits without stopping it, and from stopGroupsNow(): the
   * signal that stops it at once (SIGKILL; SIGQUIT for PostgreSQL's immediate shutdown).
   */
  onParentDeath: NodeJS.Signals;
}

/** The running children started here, with their stop-at-once signal. */
const running = new Map<ChildProcess, NodeJS.Signals>();

export function spawnInOwnGroup(
  command: string,
  args: readonly string[],
  { onParentDeath, ...options }: OwnGroupOptions,
): ChildProcess {
  const [file, argv] =
    SETPRIV === undefined
      ? [command, args]
      : [SETPRIV, ['--pdeathsig', onParentDeath, '--', command, ...args]];
  const child = spawn(file, argv, { ...options, detached: true });
  running.set(child, onParentDeath);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Every child still running gets its stop-at-once signal, to its whole group: a second Ctrl-C.
 * Returns how many groups were signalled.
 */
export function stopGroupsNow(): number {
  let signalled = 0;
  for (const [child, signal] of running) if (signalGroup(child, signal)) signalled++;
  return signalled;
}

/**
 * `signal` to the child's whole group: the child and whatever it started without a group of its
 * own. False when the group is already gone.
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
