/**
 * The demo's background traffic: the drill's open-model generator (proof/load) at a gentle rate,
 * with the request mix of proof/load/scenario.json, spread over the ready tasks as an ALB does.
 * Counted per second, with the latency percentiles of the requests that completed in that second
 * (from each one's intended send time). A request the generator could not send on time is dropped
 * and counts as failed: the verdict is "no request failed". Not a measuring tool: the drill is.
 */
import {
  loadScenario,
  newHistogram,
  recordMs,
  RequestMix,
  startOpenModel,
  summarize,
  TargetPool,
  type RequestRecord,
} from '../proof/load/index.js';

export interface LoadSecond {
  sent: number;
  ok: number;
  failed: number;
}

/** One second as takeSecond() hands it over: counts, and latencies of the requests completed in it. */
export interface LoadSecondReport extends LoadSecond {
  /** Milliseconds; null when no request completed in that second. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface GentleLoad {
  /** Counts and latencies since the last call. */
  takeSecond(): LoadSecondReport;
  totals(): LoadSecond & { failures: string[] };
  stop(): Promise<void>;
}

/** The demo runs until Ctrl-C or --duration; the schedule is this long at most. */
const LONGEST_RUN_MS = 7 * 24 * 3600 * 1000;
/** Failures described in the final summary; the rest are counted. */
const FAILURES_KEPT = 20;

export async function startGentleLoad(
  urls: readonly string[],
  ratePerSecond: number,
  durationMs = LONGEST_RUN_MS,
): Promise<GentleLoad> {
  const targets = new TargetPool({ urls });
  await targets.start();
  const total: LoadSecond & { failures: string[] } = { sent: 0, ok: 0, failed: 0, failures: [] };
  const describe = (r: RequestRecord) =>
    `${r.name} → ${r.outcome === 'dropped' ? `dropped (${r.reason ?? '?'})` : (r.reason ?? '?')}`;
  const run = startOpenModel({
    rate: ratePerSecond,
    durationMs: durationMs || LONGEST_RUN_MS,
    mix: new RequestMix(loadScenario(), { seed: Date.now(), keyPrefix: `demo-${process.pid}-${Date.now()}` }),
    targets,
    // Nothing is analysed afterwards: keep counts, not a record per request.
    keepRecords: false,
    onSettled: (record) => {
      if (record.outcome !== 'ok' && total.failures.length < FAILURES_KEPT)
        total.failures.push(describe(record));
    },
  });
  return {
    takeSecond() {
      const tick = run.takeTick();
      const second = { sent: tick.sent + tick.dropped, ok: tick.ok, failed: tick.failed + tick.dropped };
      total.sent += second.sent;
      total.ok += second.ok;
      total.failed += second.failed;
      const histogram = newHistogram();
      for (const ms of tick.latenciesMs) recordMs(histogram, ms);
      const { p50Ms, p99Ms, maxMs } = summarize(histogram);
      return { ...second, p50Ms, p99Ms, maxMs };
    },
    totals: () => total,
    async stop() {
      run.stop();
      await run.done;
      targets.stop();
    },
  };
}
