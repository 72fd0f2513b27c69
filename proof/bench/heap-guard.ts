/**
 * Memory across rotations, a regression guard: one this-app process through many alternating-users
 * rotations (a pool swap each) under light load. A swap that left anything behind (a pool, its
 * listeners or timers, a metric label set) would grow the V8 heap with every rotation; after a
 * forced GC, the heap after the last rotation must be within a few percent of the heap after the
 * second (the first ones still compile and cache what every later one reuses). The heap is read
 * through the Node inspector (inspector.ts): nothing is added to the app for it.
 */
import type { AppProcess } from '../../local/app-process.js';
import { loadScenario, RequestMix, startOpenModel, TargetPool } from '../load/index.js';
import { heapUsedAfterGc, connectInspector, INSPECTOR_PATTERN, inspectorUrlOf } from './inspector.js';
import { withProcess, type PhaseContext } from './phases.js';
import { followPoolEvents } from './pool-events.js';
import { readMemory } from './proc-stats.js';
import { round, STEP_SETTINGS, summarizeStep } from './step.js';
import { spawnVariant } from './variants.js';
import { firstLine } from './first-line.js';

export interface HeapGuardSettings {
  rotations: number;
  /** The heap after this rotation is the reference. */
  referenceRotation: number;
  /** Heap after the last rotation ÷ heap after the reference one, at most. */
  maxGrowth: number;
  /** Open-model load, requests per second, the whole time. */
  rate: number;
  /** The process's CREDENTIAL_REFRESH_SECONDS: it finds each rotation this soon (the app's minimum is 1). */
  refreshSeconds: number;
  /** A rotation's swap and drain must be seen within this. */
  swapTimeoutMs: number;
  /** Everything stops after this long, finished or not. */
  maxSeconds: number;
}

export const HEAP_GUARD_DEFAULTS: HeapGuardSettings = {
  rotations: 20,
  referenceRotation: 2,
  maxGrowth: 1.05,
  rate: 40,
  refreshSeconds: 1,
  swapTimeoutMs: 10_000,
  maxSeconds: 90,
};

export interface HeapReading {
  rotation: number;
  /** From the start of the load. */
  atSeconds: number;
  heapUsedMiB: number;
  rssMiB: number | null;
}

export interface HeapGuardResult {
  settings: HeapGuardSettings;
  /** Rotations whose pool swap and drain were seen. */
  rotations: number;
  readings: HeapReading[];
  referenceHeapMiB: number | null;
  lastHeapMiB: number | null;
  /** lastHeapMiB ÷ referenceHeapMiB */
  growth: number | null;
  scheduled: number;
  failed: number;
  dropped: number;
  durationSeconds: number;
  pass: boolean;
  /** Why it did not pass (empty when it did). */
  reasons: string[];
}

const MIB = 1024 * 1024;

export async function runHeapGuard(
  ctx: PhaseContext,
  options: {
    settings?: Partial<HeapGuardSettings>;
    onSpawn?: (task: AppProcess, source: string) => void;
  } = {},
): Promise<HeapGuardResult> {
  const settings = { ...HEAP_GUARD_DEFAULTS, ...options.settings };
  const { bench } = ctx;
  const started = Date.now();
  const spawn = async () => {
    const task = await spawnVariant('this-app', bench, {
      nodeArgs: ['--inspect=127.0.0.1:0'],
      env: { CREDENTIAL_REFRESH_SECONDS: String(settings.refreshSeconds) },
    });
    options.onSpawn?.(task, 'this-app heap guard');
    return task;
  };
  const { value } = await withProcess(ctx, spawn, async (task, _readyAt, connections) => {
    await connections.stop();
    const url = inspectorUrlOf(await task.waitForLine(INSPECTOR_PATTERN));
    if (url === null) throw new Error('the process printed no inspector address');
    const inspector = await connectInspector(url);
    const pool = followPoolEvents(task.child.stdout);
    const mix = new RequestMix(loadScenario(), { seed: ctx.options.seed, keyPrefix: `${ctx.runId}-heap` });
    const load = startOpenModel({
      rate: settings.rate,
      durationMs: settings.maxSeconds * 1000,
      mix,
      targets: new TargetPool({ urls: [task.url] }),
      ...STEP_SETTINGS,
    });
    const readings: HeapReading[] = [];
    const reasons: string[] = [];
    const deadline = started + settings.maxSeconds * 1000;
    try {
      for (let k = 1; k <= settings.rotations; k++) {
        if (Date.now() >= deadline) {
          reasons.push(`stopped after ${settings.maxSeconds} s, at rotation ${k}`);
          break;
        }
        const outcome = await bench.rotate('alternating-users');
        if (!outcome.ok) {
          reasons.push(`rotation ${k} failed: ${outcome.error ?? 'unknown'}`);
          break;
        }
        // Generation k served until rotation k; its drain means the swap to k + 1 is done too.
        await pool.waitFor((e) => e.kind === 'drained' && e.generation === k, settings.swapTimeoutMs);
        const heap = await heapUsedAfterGc(inspector);
        const memory = await readMemory(task.child.pid);
        readings.push({
          rotation: k,
          atSeconds: round((Date.now() - load.startedAt) / 1000, 1),
          heapUsedMiB: round(heap / MIB, 2),
          rssMiB: memory?.rssMiB ?? null,
        });
      }
    } catch (err) {
      reasons.push(firstLine(err));
    } finally {
      load.stop();
      inspector.close();
    }
    await load.done;
    const totals = summarizeStep(load.records, settings.rate, (Date.now() - load.startedAt) / 1000);
    return { readings, reasons, totals };
  });

  const { readings, totals } = value;
  const reasons = [...value.reasons];
  const reference = readings.find((r) => r.rotation === settings.referenceRotation)?.heapUsedMiB ?? null;
  const last = readings.find((r) => r.rotation === settings.rotations)?.heapUsedMiB ?? null;
  const growth = reference !== null && last !== null && reference > 0 ? round(last / reference, 3) : null;
  if (growth === null)
    reasons.push(`no heap reading after rotations ${settings.referenceRotation} and ${settings.rotations}`);
  else if (growth > settings.maxGrowth)
    reasons.push(
      `heap after rotation ${settings.rotations} is ${growth} × the heap after rotation ` +
        `${settings.referenceRotation} (at most ${settings.maxGrowth})`,
    );
  return {
    settings,
    rotations: readings.length,
    readings,
    referenceHeapMiB: reference,
    lastHeapMiB: last,
    growth,
    scheduled: totals.scheduled,
    failed: totals.failed,
    dropped: totals.dropped,
    durationSeconds: round((Date.now() - started) / 1000, 1),
    pass: reasons.length === 0,
    reasons,
  };
}

export function describeHeapGuard(r: HeapGuardResult): string {
  return (
    `heap guard: ${r.rotations}/${r.settings.rotations} pool swaps at ${r.settings.rate} req/s, heap after GC ` +
    `${r.referenceHeapMiB ?? '-'} MiB after rotation ${r.settings.referenceRotation}, ${r.lastHeapMiB ?? '-'} MiB after ` +
    `rotation ${r.settings.rotations} (${r.growth ?? '-'} ×, at most ${r.settings.maxGrowth}); ` +
    `RSS ${r.readings.at(-1)?.rssMiB ?? '-'} MiB; ${r.failed + r.dropped} failed/dropped of ${r.scheduled} — ` +
    (r.pass ? 'pass' : `FAIL: ${r.reasons.join('; ')}`)
  );
}
