/**
 * The closed-model load generator: `concurrency` workers, each sending the next request of the mix
 * as soon as its previous one was answered. The server is never idle and never flooded: what it
 * completes per second is the most it can serve with that many requests in flight (its saturation
 * throughput), without the unbounded queue an open model builds above capacity.
 *
 * Same request mix, same HTTP client and the same outcome rule as the open model (ok: the status the
 * mix expects), so the figures count the same things. Latency here is service time (send to answer):
 * a closed model measures throughput, not the latency users see (the open model does that).
 */
import { createAgent, exchange } from './http-client.js';
import { newHistogram, recordMs, summarize, type LatencySummary } from './histogram.js';
import type { RequestMix } from './scenario.js';

export interface ClosedModelOptions {
  url: string;
  mix: RequestMix;
  concurrency: number;
  /** Measured time, after the warm-up. */
  durationMs: number;
  /** Load before the measurement starts (connections opened, pools grown, code compiled): not counted. */
  warmupMs?: number;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  /** Clock in ms (default performance.now()). */
  now?: () => number;
}

export interface ClosedModelResult {
  concurrency: number;
  durationSeconds: number;
  /** Answered as expected, completed inside the measured time. */
  ok: number;
  failed: number;
  /** ok per second of the measured time. */
  achievedRps: number;
  latency: LatencySummary;
  failedByReason: Record<string, number>;
}

export async function runClosedModel(options: ClosedModelOptions): Promise<ClosedModelResult> {
  const clock = options.now ?? (() => performance.now());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = createAgent(options.concurrency);
  const histogram = newHistogram();
  const failedByReason: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  const start = clock();
  const measureFrom = start + (options.warmupMs ?? 0);
  const end = measureFrom + options.durationMs;

  const worker = async () => {
    while (clock() < end) {
      const request = options.mix.next();
      const sentAt = clock();
      const answer = await exchange(agent, new URL(request.path, options.url), {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body }),
        timeoutMs,
        keepBody: request.capture !== undefined,
      });
      const doneAt = clock();
      const good = answer.status === request.expect;
      if (good && answer.body !== undefined) captureFrom(options.mix, request, answer.body);
      // Only what both started and finished inside the measured time counts.
      if (sentAt < measureFrom || doneAt > end) continue;
      if (good) {
        ok++;
        recordMs(histogram, doneAt - sentAt);
      } else {
        failed++;
        const reason = answer.error ?? `status ${answer.status ?? '?'}`;
        failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const durationSeconds = options.durationMs / 1000;
  return {
    concurrency: options.concurrency,
    durationSeconds,
    ok,
    failed,
    achievedRps: Math.round((ok / durationSeconds) * 10) / 10,
    latency: summarize(histogram),
    failedByReason,
  };
}

function captureFrom(mix: RequestMix, request: Parameters<RequestMix['captureAnswer']>[0], body: string) {
  try {
    mix.captureAnswer(request, JSON.parse(body) as Record<string, unknown>);
  } catch {
    // not JSON: nothing to capture
  }
}
