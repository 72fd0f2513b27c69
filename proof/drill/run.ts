/**
 * One drill: environment up, open-model load, forced rotations, then the checks (lost writes,
 * secret hygiene), the report files and the verdict. Bounded: the load stops itself after
 * --duration, each rotation is given at most 60 s, each request --timeout-ms.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import {
  DEFAULT_SCENARIO_PATH,
  loadScenario,
  perSecond,
  RequestMix,
  type RequestRecord,
  splitWindows,
  locateK6,
  startK6Load,
  startOpenModel,
  type K6LoadRun,
  type K6Outcome,
  summarize,
  TargetPool,
  type WriteCheck,
} from '../load/index.js';
import { LOCAL_PRINCIPALS } from '../../local/embedded-stack.js';
import { INTERRUPTED_EXIT_CODE } from '../../local/interrupts.js';
import {
  collectPasswords,
  prepareEnvironment,
  type DrillEnvironment,
  type RotationOutcome,
} from './environment.js';
import { createFault, type Fault } from './faults/index.js';
import { countPartialOrders, killAppConnections, verifyWrites } from './database-checks.js';
import { evaluateFault, faultContext, runFault } from './fault-run.js';
import { fleetReport, startConnectionSampler } from './fleet.js';
import { renderHtml } from './html.js';
import { countPasswordsIn, scanForPasswords } from './leaks.js';
import { egressProblems } from '../egress/index.js';
import type { DrillOptions } from './options.js';
import { assertScheduleFits, cycleMs, rotationTimesMs, SCHEDULE_MARGIN_MS } from './schedule.js';
import { scrapeTask } from './prometheus.js';
import { ReadinessTracker } from './readiness-tracker.js';
import { DEFINITIONS, rotationRecords, summaryTable, type DrillReport } from './report.js';
import { tally } from './tally.js';
import { progressLines, UsageError } from '../cli/index.js';

/** Fault modes in which a 503 with Retry-After is an answer the drill may allow (k6's ALLOW_503). */
const FAULTS_ALLOWING_503 = new Set(['db-restart', 'db-freeze', 'connection-limit', 'kill-connections']);

function requireK6(): string {
  const k6 = locateK6();
  if (k6 === undefined)
    throw new UsageError('--load k6: no k6 on PATH and none in .cache/k6 (run tools/k6/setup.sh)');
  return k6;
}

export interface DrillResult {
  report: DrillReport;
  exitCode: number;
  files: { json: string; html: string };
}

/** A drill stopped (Ctrl-C) before its load started: nothing ran, so there is no report. */
export class DrillInterruptedError extends Error {}

/**
 * One drill. `interrupt` (Ctrl-C) ends the load early: the drill still checks and reports what ran,
 * with an INTERRUPTED verdict and exit code 130.
 */
export async function runDrill(
  options: DrillOptions,
  write: (line: string) => void,
  interrupt?: AbortSignal,
): Promise<DrillResult> {
  const started = new Date();
  const { say, printed } = progressLines(write);
  const scenario = options.scenario !== undefined ? loadScenario(resolve(options.scenario)) : loadScenario();
  const fault = options.fault === undefined ? undefined : createFault(options.fault);
  assertScheduleFits(options, fault);
  if (fault) say(`fault ${fault.name}: ${fault.description}`);
  // Before anything starts: a missing k6 is a usage error, not a failed run.
  const k6 = options.load === 'k6' ? requireK6() : undefined;
  const duringStartUp = () => {
    say(`${String(interrupt?.reason)}: stopping once start-up is done (again to stop at once)`);
  };
  interrupt?.addEventListener('abort', duringStartUp, { once: true });
  const env = await prepareEnvironment(options, say, fault?.taskEnv).finally(() => {
    interrupt?.removeEventListener('abort', duringStartUp);
  });
  try {
    if (interrupt?.aborted)
      throw new DrillInterruptedError(`${String(interrupt.reason)} before the load started`);
    return await drill({
      options,
      env,
      scenario,
      fault,
      started,
      say,
      printed,
      write,
      k6Binary: k6,
      interrupt,
    });
  } finally {
    // The tasks too: a drill that failed half-way (k6 that would not start, a fault that threw)
    // must not leave them running. After a complete run they have already exited.
    await env.stopTasks().catch((err: unknown) => {
      say(`stopping the tasks: ${(err as Error).message}`);
    });
    await env.stop().catch((err: unknown) => {
      say(`stopping the environment: ${(err as Error).message}`);
    });
  }
}

/** What one drill runs with, once its environment is up. */
interface DrillRun {
  options: DrillOptions;
  env: DrillEnvironment;
  scenario: ReturnType<typeof loadScenario>;
  fault: Fault | undefined;
  started: Date;
  /** A progress line (also kept in `printed`, which the leak scan reads). */
  say: (line: string) => void;
  printed: string[];
  /** The summary and the report paths. */
  write: (line: string) => void;
  /** The k6 binary, with --load k6. */
  k6Binary?: string | undefined;
  /** Ctrl-C: the load stops early, the checks still run. */
  interrupt?: AbortSignal | undefined;
}

async function drill(run: DrillRun): Promise<DrillResult> {
  const { options, env, scenario, fault, started, say, printed, write, k6Binary, interrupt } = run;
  const durationMs = options.durationSeconds * 1000;
  let t0 = Date.now();
  const readiness = new ReadinessTracker(env.targetUrls.length, () => t0);
  const targets = new TargetPool({ urls: env.targetUrls, onObservation: readiness.observe });
  await targets.start();

  const runId = `drill-${Date.now().toString(36)}-s${options.seed}`;
  const mix = new RequestMix(scenario, { seed: options.seed, keyPrefix: runId });
  say(
    `load: ${options.rate} req/s for ${options.durationSeconds}s over ${env.targetUrls.length} targets (open model, seed ${options.seed}); ` +
      `${options.rotations} ${options.strategy} rotations`,
  );
  const load =
    k6Binary !== undefined
      ? await startK6Load({
          k6: k6Binary,
          rate: options.rate,
          durationMs,
          targets: env.targetUrls,
          scenario,
          scenarioFile: resolve(options.scenario ?? fileURLToPath(DEFAULT_SCENARIO_PATH)),
          runId,
          allow503: options.fault !== undefined && FAULTS_ALLOWING_503.has(options.fault),
          // The drill's own bound on one request; the drill's windows judge the latency.
          p99Ms: options.timeoutMs,
          maxVus: options.maxInFlight,
          outDir: await mkdtemp(join(tmpdir(), 'drill-k6-')),
        })
      : startOpenModel({
          rate: options.rate,
          durationMs,
          mix,
          targets,
          maxLateMs: options.maxLateMs,
          maxInFlight: options.maxInFlight,
          timeoutMs: options.timeoutMs,
        });
  if (options.load === 'k6') say('load generator: k6 (load/k6/rotation.js)');
  t0 = load.startedAt;
  const sampler = env.mode === 'embedded' ? startConnectionSampler(env) : undefined;
  let loadOver = false;
  const loadEnded = load.done.then(() => {
    loadOver = true;
  });
  const faultRun =
    fault && env.embedded
      ? runFault(
          fault,
          faultContext(options, env, targets, t0, say, loadEnded, () => loadOver),
        )
      : undefined;

  const outcomes: RotationOutcome[] = [];
  let rotating = false;
  const stopRotations = new AbortController();
  // Ctrl-C: the load stops now (k6 still writes its summary), no rotation starts, the checks run.
  // Set by the signal's listener while the load runs: a holder, since narrowing cannot see that.
  const stopped: { interrupted: DrillReport['interrupted'] } = { interrupted: null };
  const onInterrupt = () => {
    const reason = String(interrupt?.reason ?? 'interrupted');
    stopped.interrupted = { reason, afterSeconds: (Date.now() - t0) / 1000 };
    say(`${reason}: stopping the load; checking and reporting what ran (again to stop at once)`);
    stopRotations.abort();
    load.stop();
  };
  if (interrupt?.aborted) onInterrupt();
  else interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const rotations = (async () => {
    const times =
      fault?.rotationTimesMs?.(options) ?? rotationTimesMs(options.rotations, options.durationSeconds);
    for (const [k, atMs] of [...times].sort((a, b) => a - b).entries()) {
      const wait = t0 + atMs - Date.now();
      if (wait > 0) await delay(wait, undefined, { signal: stopRotations.signal }).catch(() => undefined);
      if (stopRotations.signal.aborted) return;
      rotating = true;
      say(`rotation ${k + 1}/${options.rotations}: RotateSecret (${options.strategy})`);
      const o = await env.rotate();
      rotating = false;
      outcomes.push(o);
      say(
        o.ok
          ? `rotation ${k + 1}/${options.rotations}: version ${o.versionId.slice(0, 8)} is AWSCURRENT after ${o.finishedAt - o.requestedAt} ms`
          : `rotation ${k + 1}/${options.rotations} FAILED: ${o.error ?? ''}`,
      );
      if (options.killConnections && o.ok) {
        const killed = await killAppConnections(env).catch((err: unknown) => {
          say(`could not terminate the app's connections: ${(err as Error).message}`);
          return 0;
        });
        say(`terminated ${killed} app database connections (--kill-connections)`);
      }
    }
  })();

  /**
   * A rotation that finished near the end of the load is followed at each task's next health cycle.
   * Before judging, wait for that as a user would: until every live task's readiness reports the
   * last rotated version as AWSCURRENT, bounded by what the app promises (one cycle and a margin).
   */
  const settleAfterLoad = async () => {
    const finalVersion = outcomes.filter((o) => o.ok).at(-1)?.versionId;
    const boundMs = Math.round(cycleMs(options) + SCHEDULE_MARGIN_MS);
    const startedAt = Date.now();
    if (finalVersion === undefined) return { settled: options.rotations === 0, waitedMs: 0, boundMs };
    const caughtUp = () => readiness.allOn(finalVersion, (target) => targets.isRetired(target));
    // The naive app never follows a rotation: nothing to wait for.
    if (options.app === 'naive' || caughtUp()) return { settled: caughtUp(), waitedMs: 0, boundMs };
    const settled = await readiness.until(caughtUp, boundMs);
    return { settled, waitedMs: Date.now() - startedAt, boundMs };
  };

  const progress = setInterval(() => {
    const tick = load.takeTick();
    if (options.quiet) return;
    const sorted = tick.latenciesMs.sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted.length
        ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1)
        : '-';
    const tasks = readiness.describeTasks();
    say(
      `sent ${String(tick.sent).padStart(4)} ok ${String(tick.ok).padStart(4)} failed ${tick.failed} dropped ${tick.dropped} ` +
        `p50 ${pct(50)} p99 ${pct(99)} ms in-flight ${load.inFlight()}${rotating ? ' [rotating]' : ''} | ${tasks}`,
    );
  }, 1000);
  // Belt and braces: the load ends by itself; this only guards against a bug keeping it alive.
  const watchdog = setTimeout(
    () => {
      say('watchdog: stopping the load');
      load.stop();
    },
    durationMs + options.timeoutMs + 30_000,
  );
  await load.done;
  interrupt?.removeEventListener('abort', onInterrupt);
  clearTimeout(watchdog);
  clearInterval(progress);
  const connectionSamples = await sampler?.stop();
  stopRotations.abort();
  await rotations;
  const faultError = await faultRun;
  env.embedded?.setStepHook(undefined);
  // An interrupted run does not wait for the tasks to follow the last rotation.
  const settle = stopped.interrupted ? { settled: false, waitedMs: 0, boundMs: 0 } : await settleAfterLoad();
  targets.stop();
  say(
    stopped.interrupted
      ? `load stopped (${stopped.interrupted.reason}): ${load.records.length} requests; checking what ran`
      : `load done: ${load.records.length} requests; ` +
          (settle.settled
            ? `every task reported the final version ${settle.waitedMs} ms later; checking`
            : `not every task reported the final version within ${settle.boundMs} ms; checking`),
  );

  const taskMetrics = await Promise.all(env.targetUrls.map((u) => scrapeTask(u)));
  await env.collectSteps(outcomes);
  const callsByCaller = (await env.callsByCaller()) ?? null;
  const writes = await verifyWrites(env, load.writes).catch((err: unknown): WriteCheck => {
    say(`write check failed to run: ${(err as Error).message}`);
    return {
      acknowledged: load.writes.length,
      confirmed: 0,
      lost: load.writes.length,
      duplicated: 0,
      mismatched: 0,
      problems: ['check could not run'],
    };
  });
  const k6: K6Outcome | null = 'outcome' in load ? await (load as K6LoadRun).outcome : null;
  const faultReport = fault
    ? await evaluateFault(fault, faultError, {
        options,
        records: load.records,
        observations: readiness.observations,
        adoptions: readiness.adoptions,
        rotations: outcomes,
        writeNames: new Set(scenario.requests.filter((r) => r.method !== 'GET').map((r) => r.name)),
        taskLines: env.tasks.map((t) => t.lines),
        t0,
        partialOrders: () => countPartialOrders(env),
      })
    : null;
  const passwords = await collectPasswords(env);
  for (const p of fault?.passwords?.() ?? []) passwords.add(p);
  const exitCodes = await env.stopTasks();

  const records = load.records;
  const rotationsReport = rotationRecords(outcomes, env.stepEvents, t0, options.settleSeconds * 1000);
  const windows = rotationsReport.map((r) => r.window);
  const counts = tally(records);
  const { swaps, adoptions } = readiness;
  const reportOptions: Omit<DrillOptions, 'quiet'> = { ...options };
  delete (reportOptions as Partial<DrillOptions>).quiet;
  const report: DrillReport = {
    kind: 'rotation-drill',
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: env.mode,
    options: reportOptions,
    definitions: DEFINITIONS,
    verdict: { pass: false, reasons: [] },
    interrupted: stopped.interrupted,
    totals: {
      scheduled: records.length,
      sent: records.length - counts.dropped,
      ok: counts.ok,
      failed: counts.failed,
      dropped: counts.dropped,
      droppedLate: counts.droppedLate,
      droppedInFlightCap: counts.droppedInFlightCap,
      failOpen: targets.failOpen,
      failedByReason: counts.failedByReason,
      failedByRequest: counts.failedByRequest,
      byRequest: counts.byRequest,
    },
    latency: { all: summarize(counts.latency), ...splitWindows(records, windows) },
    rotations: rotationsReport,
    swaps,
    adoptions,
    tasks: env.targetUrls.map((url, i) => ({
      name: `task${i + 1}`,
      url,
      poolSwaps: taskMetrics[i]?.poolSwaps ?? null,
      poolSwapsObserved: swaps.filter((s) => s.target === i).length,
      secretsManagerCalls: taskMetrics[i]?.secretsManagerCalls ?? null,
      unreadyObservations: readiness.unready[i] ?? 0,
      exitCode: exitCodes[i],
    })),
    secretsManagerCallsByCaller: callsByCaller,
    appPrincipal: appPrincipalCheck(env, callsByCaller),
    fault: faultReport,
    fleet: await fleetReport(env, connectionSamples, windows, t0, durationMs, options.maxConnections),
    settle,
    writes,
    leaks: {
      ...scanForPasswords([...env.logs(), { source: 'drill-terminal', lines: printed }], passwords),
      reportFileOccurrences: null,
    },
    egress: env.egress(),
    k6,
    series: perSecond(records, options.durationSeconds),
    failureSamples: records
      .filter((r) => r.outcome !== 'ok')
      .slice(0, 50)
      .map((r: RequestRecord) => ({
        seq: r.seq,
        name: r.name,
        target: r.target,
        intendedMs: r.intendedMs,
        latencyMs: r.latencyMs,
        ...(r.status !== undefined && { status: r.status }),
        ...(r.reason !== undefined && { reason: r.reason }),
      })),
  };
  setVerdict(report, options);

  await mkdir(options.out, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const files = {
    json: join(options.out, `drill-${stamp}.json`),
    html: join(options.out, `drill-${stamp}.html`),
  };
  const writeFiles = async () => {
    await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(files.html, renderHtml(report));
  };
  await writeFiles();
  // The report files themselves, scanned once written; the figure goes back into them.
  let inFiles = 0;
  for (const f of [files.json, files.html]) inFiles += countPasswordsIn(await readFile(f, 'utf8'), passwords);
  report.leaks.reportFileOccurrences = inFiles;
  setVerdict(report, options);
  await writeFiles();

  write('');
  write(summaryTable(report));
  write(`report: ${files.json}`);
  write(`        ${files.html}`);
  return {
    report,
    exitCode: report.interrupted ? INTERRUPTED_EXIT_CODE : report.verdict.pass ? 0 : 1,
    files,
  };
}

function setVerdict(report: DrillReport, options: DrillOptions): void {
  const reasons: string[] = [];
  // First, so verdictLine can tell it from what the partial run found.
  if (report.interrupted) reasons.push(`interrupted (${report.interrupted.reason})`);
  const t = report.totals;
  const expected = report.fault?.expectedFailures ?? 0;
  if (t.failed > expected)
    reasons.push(
      expected > 0
        ? `${t.failed - expected} failed requests beyond the ${expected} the fault allows`
        : `${t.failed} failed requests`,
    );
  for (const c of report.fault?.checks ?? []) if (!c.pass) reasons.push(`${c.name}: ${c.detail}`);
  const principal = report.appPrincipal;
  if (principal && !principal.pass)
    reasons.push(
      `the app's principal called ${principal.unexpected.join(', ')} (only GetSecretValue and DescribeSecret allowed)`,
    );
  if (t.dropped > 0) reasons.push(`${t.dropped} dropped requests`);
  const w = report.writes;
  if (w.lost > 0) reasons.push(`${w.lost} lost writes`);
  if (w.duplicated > 0) reasons.push(`${w.duplicated} duplicated writes`);
  if (w.mismatched > 0) reasons.push(`${w.mismatched} mismatched writes`);
  const leaks = report.leaks.occurrences + (report.leaks.reportFileOccurrences ?? 0);
  if (leaks > 0) reasons.push(`${leaks} password occurrences in logs or reports`);
  if (report.leaks.passwordsChecked === 0) reasons.push('no password could be read for the hygiene check');
  if (report.k6 && report.k6.exitCode !== 0)
    reasons.push(
      `k6 exited with ${String(report.k6.exitCode)} (${
        report.k6.thresholds
          .filter((t) => !t.ok)
          .map((t) => `${t.metric} ${t.expression}`)
          .join(', ') || 'see its output'
      })`,
    );
  if (report.egress) reasons.push(...egressProblems(report.egress, report.egress.tasksStarted));
  if (!report.settle.settled && !report.interrupted && options.app === 'rotating' && options.rotations > 0)
    reasons.push(
      `not every task reported the final version within ${report.settle.boundMs} ms of the load's end`,
    );
  const finished = report.rotations.filter((r) => r.ok).length;
  if (finished < options.rotations && !report.interrupted)
    reasons.push(`${finished}/${options.rotations} rotations finished`);
  const badExits = report.tasks.filter((x) => x.exitCode !== undefined && x.exitCode !== 0);
  if (badExits.length > 0)
    reasons.push(
      `tasks exited with ${badExits.map((x) => `${x.name}=${x.exitCode ?? 'signal'}`).join(', ')}`,
    );
  report.verdict = { pass: reasons.length === 0, reasons };
}

const APP_OPERATIONS = new Set(['GetSecretValue', 'DescribeSecret']);

/** The endpoint's per-caller log: the app's principal may only read (embedded mode, where its key is known). */
function appPrincipalCheck(
  env: DrillEnvironment,
  byCaller: Record<string, Record<string, number>> | null,
): DrillReport['appPrincipal'] {
  if (env.mode !== 'embedded' || byCaller === null) return null;
  const caller = LOCAL_PRINCIPALS.app.accessKeyId;
  const operations = byCaller[caller] ?? {};
  const unexpected = Object.keys(operations).filter((op) => !APP_OPERATIONS.has(op));
  return { caller, operations, unexpected, pass: unexpected.length === 0 };
}
