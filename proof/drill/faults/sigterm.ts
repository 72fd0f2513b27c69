/**
 * sigterm: a rolling deployment under load. Each task in turn is replaced the way ECS does it with
 * minimum healthy 100 %: the new task starts and is registered once ready, then the old one gets
 * SIGTERM. The old task fails readiness at once, keeps serving through its shutdown delay (the
 * deregistration delay: the load generator, like an ALB, stops routing to it after a failed
 * readiness poll), drains and exits 0. Expected: 0 failed requests.
 */
import { terminate } from '../../../local/app-process.js';
import { check, round, type Fault, type FaultContext, type FaultEvidence } from './fault.js';

/** The tasks' SHUTDOWN_DELAY_SECONDS: over two readiness polls (500 ms) of the load generator. */
const SHUTDOWN_DELAY_SECONDS = 2;
const EXIT_TIMEOUT_MS = 30_000;
/** A replacement's cold start, the old task's shutdown delay and drain, with room to spare. */
const REPLACEMENT_MS = 8000;

interface Replacement {
  old: number;
  replacement: number;
  startedMs: number;
  readyMs: number;
  sigtermMs: number;
  exitedMs: number | null;
  exitCode: number | null | 'timeout';
}

export function sigterm(): Fault {
  const replacements: Replacement[] = [];
  let initialTasks = 0;
  return {
    name: 'sigterm',
    description: `rolling restart: each task is replaced in turn (new task ready, then SIGTERM to the old one; shutdown delay ${SHUTDOWN_DELAY_SECONDS} s)`,
    taskEnv: { SHUTDOWN_DELAY_SECONDS: String(SHUTDOWN_DELAY_SECONDS) },
    minDurationSeconds(o) {
      // Replacements start 0.6·d/tasks apart from 0.2·d: each must finish before the next and the last before the end.
      return Math.max((o.tasks * REPLACEMENT_MS) / 0.6, REPLACEMENT_MS / (0.2 + 0.6 / (2 * o.tasks))) / 1000;
    },
    async run(ctx: FaultContext) {
      const d = ctx.options.durationSeconds * 1000;
      initialTasks = ctx.tasks().length;
      for (let old = 0; old < initialTasks; old++) {
        if (!(await ctx.until(0.2 * d + (0.6 * d * (old + 0.5)) / initialTasks))) return;
        const startedMs = ctx.now();
        const { target, task } = await ctx.spawnTask();
        const readyMs = ctx.now();
        const oldTask = ctx.tasks()[old];
        if (!oldTask) return;
        const sigtermMs = ctx.now();
        ctx.say(`fault sigterm: task${target + 1} ${task.url} ready; SIGTERM to task${old + 1}`);
        const { code, killed } = await terminate(oldTask, EXIT_TIMEOUT_MS);
        const exitCode = killed ? ('timeout' as const) : code;
        ctx.targets.retire(old);
        const exitedMs = exitCode === 'timeout' ? null : ctx.now();
        replacements.push({ old, replacement: target, startedMs, readyMs, sigtermMs, exitedMs, exitCode });
        ctx.say(`fault sigterm: task${old + 1} exited with ${String(exitCode)}`);
      }
    },
    evaluate(e: FaultEvidence) {
      const rows = replacements.map((r) => {
        const after = e.records.filter((x) => x.target === r.old && x.intendedMs >= r.sigtermMs);
        return {
          task: `task${r.old + 1}`,
          replacement: `task${r.replacement + 1}`,
          startToReadyMs: round(r.readyMs - r.startedMs),
          sigtermToExitMs: r.exitedMs === null ? null : round(r.exitedMs - r.sigtermMs),
          exitCode: r.exitCode,
          requestsAfterSigterm: after.length,
          failedAfterSigterm: after.filter((x) => x.outcome !== 'ok').length,
        };
      });
      return {
        name: 'sigterm' as const,
        description: this.description,
        events: replacements.flatMap((r) => [
          { atMs: r.readyMs, label: `task${r.replacement + 1} ready` },
          { atMs: r.sigtermMs, label: `SIGTERM task${r.old + 1}` },
        ]),
        expectedFailures: 0,
        figures: { replacements: rows },
        checks: [
          check(
            'every task was replaced',
            replacements.length === initialTasks && initialTasks > 0,
            `${replacements.length}/${initialTasks}`,
          ),
          check(
            'old tasks exited 0 after draining',
            rows.every((r) => r.exitCode === 0),
            rows
              .map((r) => `${r.task} exit ${String(r.exitCode)} after ${r.sigtermToExitMs ?? '-'} ms`)
              .join(', '),
          ),
          check(
            'requests sent to a stopping task succeeded',
            rows.every((r) => r.failedAfterSigterm === 0),
            rows
              .map(
                (r) =>
                  `${r.task}: ${r.requestsAfterSigterm - r.failedAfterSigterm}/${r.requestsAfterSigterm}`,
              )
              .join(', '),
          ),
        ],
      };
    },
  };
}
