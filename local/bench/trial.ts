/**
 * One rotations-off trial of a variant, in a fresh process: what it cost to start (time to ready,
 * Secrets Manager calls, PostgreSQL connections), an unmeasured warm-up, the most it serves
 * (closed model at a fixed concurrency), then what a request costs at the common rate (CPU time of
 * the process per request, p50/p99 from the open model). run.ts interleaves the trials of all
 * variants, so a slow minute of the machine falls on every variant alike.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { runClosedModel, type ClosedModelResult } from '../../load/closed-model.js';
import { loadScenario, RequestMix } from '../../load/scenario.js';
import type { AppProcess } from '../app-process.js';
import { withProcess, type PhaseContext, type ProcessFigures } from './phases.js';
import { readCpuMs } from './proc-stats.js';
import { steadyCalls, type SteadyCalls } from './sm-calls.js';
import { round, runStep, type StepResult } from './step.js';

export interface TrialResult extends ProcessFigures {
  /** Which round (0-based) and which place in it: the order the trials ran in. */
  round: number;
  position: number;
  /** Closed model at --concurrency: the saturation throughput. */
  saturation: ClosedModelResult;
  /** Open model at the common rate: latency and CPU per request. */
  common: StepResult;
  /** CPU time (user + system) of the process per successful request of the common-rate run. */
  cpuMsPerRequest: number | null;
  /** Secrets Manager calls from ready to the end of the trial. */
  secretsManager: SteadyCalls;
  /** Successful requests the process served (warm-up included): memory is read after them. */
  requestsServed: number;
  /** Wall time of the trial, spawn to exit. */
  wallSeconds: number;
}

export async function runTrial(
  ctx: PhaseContext,
  label: string,
  slot: { round: number; position: number },
  spawn: () => Promise<AppProcess>,
): Promise<TrialResult> {
  const { options } = ctx;
  const started = Date.now();
  const { value, figures } = await withProcess(ctx, spawn, async (task, readyAt, connections) => {
    // Startup is what the watch was for; the measurements below must not pay for its queries.
    await connections.stop();
    const mix = new RequestMix(loadScenario(), {
      seed: options.seed + slot.round,
      keyPrefix: `${ctx.runId}-${label}-r${slot.round}`,
    });
    let served = 0;
    if (options.warmupSeconds > 0) {
      const { result } = await runStep(task.url, mix, options.rate, options.warmupSeconds);
      served += result.ok;
    }
    const saturation = await runClosedModel({
      url: task.url,
      mix,
      concurrency: options.concurrency,
      warmupMs: options.saturationWarmupSeconds * 1000,
      durationMs: options.saturationSeconds * 1000,
    });
    served += saturation.ok;
    await delay(options.restMs);
    const cpuBefore = await readCpuMs(task.child.pid);
    const { result: common } = await runStep(task.url, mix, options.rate, options.commonSeconds);
    const cpuAfter = await readCpuMs(task.child.pid);
    served += common.ok;
    const cpuMsPerRequest =
      cpuBefore !== null && cpuAfter !== null && common.ok > 0
        ? round((cpuAfter - cpuBefore) / common.ok, 3)
        : null;
    return {
      saturation,
      common,
      cpuMsPerRequest,
      requestsServed: served,
      secretsManager: steadyCalls(
        ctx.bench.stack.secretsManager.calls,
        ctx.bench.appCaller,
        readyAt,
        Date.now(),
        options.refreshSeconds,
      ),
    };
  });
  return {
    round: slot.round,
    position: slot.position,
    ...value,
    ...figures,
    wallSeconds: round((Date.now() - started) / 1000, 1),
  };
}

/** Round k runs the variants in the order rotated by k (A B C D, B C D A, …). */
export function interleavedOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function describeTrial(t: TrialResult): string {
  const p = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  return (
    `ready in ${t.startupSeconds} s (${t.startupCalls.total} SM calls, ${t.startupConnections.opened} connections)` +
    `, saturation ${t.saturation.achievedRps} req/s at ${t.saturation.concurrency} in flight` +
    (t.saturation.failed > 0 ? ` (${t.saturation.failed} failed)` : '') +
    `, at ${t.common.offeredRps} req/s p50 ${p(t.common.latency.p50Ms)} p99 ${p(t.common.latency.p99Ms)} ms` +
    `, CPU ${t.cpuMsPerRequest ?? '-'} ms/req` +
    (t.common.failed + t.common.dropped > 0 ? `, ${t.common.failed + t.common.dropped} failed/dropped` : '')
  );
}
