/** Running a fault mode alongside the load, and its report afterwards. */
import pTimeout from 'p-timeout';
import type { TargetPool } from '../load/index.js';
import { killAppConnections, withMaster } from './database-checks.js';
import type { DrillEnvironment } from './environment.js';
import type { Fault, FaultContext, FaultReport } from './faults/fault.js';
import type { DrillOptions } from './options.js';

/** What a fault can act on (embedded mode only). */
export function faultContext(
  options: DrillOptions,
  env: DrillEnvironment,
  targets: TargetPool,
  t0: number,
  say: (line: string) => void,
  loadEnded: Promise<void>,
  isOver: () => boolean,
): FaultContext {
  const embedded = env.embedded;
  if (!embedded) throw new Error('fault modes need the embedded stack');
  const now = () => Date.now() - t0;
  return {
    options,
    stack: embedded.stack,
    targets,
    say,
    now,
    async until(atMs) {
      const wait = atMs - now();
      // Until `atMs`, or the end of the load if that comes first.
      if (wait > 0) await pTimeout(loadEnded, { milliseconds: wait, message: false });
      return !isOver();
    },
    killAppConnections: () => killAppConnections(env),
    asMaster: (fn) => withMaster(env, fn),
    async spawnTask() {
      const task = await embedded.spawnTask();
      const target = await targets.add(task.url);
      return { target, task };
    },
    tasks: () => env.tasks,
    setStepHook: (hook) => {
      embedded.setStepHook(hook);
    },
  };
}

/** Runs a fault to its end; an error it throws is kept for its report instead of ending the drill. */
export async function runFault(fault: Fault, ctx: FaultContext): Promise<Error | undefined> {
  try {
    await fault.run(ctx);
    return undefined;
  } catch (err) {
    ctx.say(`fault ${fault.name} failed: ${(err as Error).message}`);
    return err as Error;
  }
}

export async function evaluateFault(
  fault: Fault,
  error: Error | undefined,
  evidence: Parameters<Fault['evaluate']>[0],
): Promise<FaultReport> {
  const report = await fault.evaluate(evidence);
  if (error)
    report.checks.unshift({ name: 'the fault ran', pass: false, detail: `${error.name}: ${error.message}` });
  return report;
}
