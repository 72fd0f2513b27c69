/**
 * Every app process the bench starts, so none outlives it: on a normal exit, a crash, Ctrl-C or the
 * hard time limit, whatever is still running gets SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function killAll(): number {
  let killed = 0;
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) killed++;
  }
  live.clear();
  return killed;
}

let installed = false;

/** Once per process: kill the children on exit, and on SIGINT/SIGTERM before exiting. */
export function killChildrenOnExit(onSignal: () => Promise<void>): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      void onSignal().finally(() => process.exit(130));
    });
  }
}
