/** The drill's report: the JSON document, the rotation windows, and the terminal summary. */
import type {
  K6Outcome,
  LatencySummary,
  RequestRecord,
  SecondPoint,
  Window,
  WindowSplit,
  WriteCheck,
} from '../load/index.js';
import type { RotationOutcome, StepEvent } from './environment.js';
import type { AdoptionEvent, DrillOptions, FaultReport } from './drill-types.js';
import { fleetLines, type FleetReport } from './fleet.js';
import type { LeakScan } from './leaks.js';
import { egressLine, type EgressReport } from '../egress/index.js';

export type { AdoptionEvent } from './drill-types.js';

export interface RotationRecord {
  index: number;
  versionId: string;
  ok: boolean;
  error?: string;
  /** ms from the start of the load */
  requestedMs: number;
  finishedMs: number;
  steps: {
    step: string;
    attempt: number;
    startMs: number;
    durationMs: number;
    ok: boolean;
    errorType?: string;
  }[];
  window: Window;
}

export interface PoolSwapEvent {
  target: number;
  atMs: number;
  fromGeneration: number;
  toGeneration: number;
}

export interface TaskSummary {
  name: string;
  url: string;
  poolSwaps: number | null;
  poolSwapsObserved: number;
  secretsManagerCalls: Record<string, number> | null;
  unreadyObservations: number;
  exitCode: number | null | undefined;
}

export interface DrillReport {
  kind: 'rotation-drill';
  version: 1;
  startedAt: string;
  finishedAt: string;
  mode: 'embedded' | 'external';
  options: Omit<DrillOptions, 'quiet'>;
  definitions: Record<string, string>;
  verdict: { pass: boolean; reasons: string[] };
  /** Stopped before its end (Ctrl-C, SIGTERM): the report covers what ran, and cannot pass. */
  interrupted: { reason: string; afterSeconds: number } | null;
  totals: {
    scheduled: number;
    sent: number;
    ok: number;
    failed: number;
    dropped: number;
    droppedLate: number;
    droppedInFlightCap: number;
    failOpen: number;
    failedByReason: Record<string, number>;
    failedByRequest: Record<string, number>;
    byRequest: Record<string, number>;
  };
  latency: { all: LatencySummary } & WindowSplit;
  rotations: RotationRecord[];
  swaps: PoolSwapEvent[];
  adoptions: AdoptionEvent[];
  tasks: TaskSummary[];
  secretsManagerCallsByCaller: Record<string, Record<string, number>> | null;
  /** The app's principal made only the calls its task role allows (embedded mode). */
  appPrincipal: {
    caller: string;
    operations: Record<string, number>;
    unexpected: string[];
    pass: boolean;
  } | null;
  fault: FaultReport | null;
  /** Embedded mode: the fleet's database connections (steady, per rotation peak) and Secrets Manager calls per second. */
  fleet?: FleetReport;
  /** After the load: how long until every task reported the last rotated version as AWSCURRENT. */
  settle: { settled: boolean; waitedMs: number; boundMs: number };
  writes: WriteCheck;
  leaks: LeakScan & { reportFileOccurrences: number | null };
  /** Embedded mode: connections the tasks attempted outside their configured endpoints (proof/egress). */
  egress: (EgressReport & { tasksStarted: number }) | null;
  /** `--load k6`: k6's exit code, its summary and each threshold (null with the Node generator). */
  k6: K6Outcome | null;
  series: SecondPoint[];
  failureSamples: Pick<
    RequestRecord,
    'seq' | 'name' | 'target' | 'intendedMs' | 'status' | 'reason' | 'latencyMs'
  >[];
}

export const DEFINITIONS = {
  latency:
    'from the intended send time of the request (open model, fixed arrival rate) to the end of its answer',
  failed:
    'sent, and answered with a status other than the expected one, or a network error, or no answer within --timeout-ms',
  dropped:
    'never sent: due more than --max-late-ms ago when the generator got to it (the generator fell behind), or --max-in-flight requests already unanswered',
  rotationWindow:
    'from the start of createSecret to the end of finishSecret, plus --settle-seconds; steady is everything else',
  lostWrite:
    'an order acknowledged with 2xx whose id and Idempotency-Key are not found exactly once in the database',
  leak: 'an occurrence of any password of the run (every version of the app secret, and the master) in the captured logs or report files',
  egress:
    "a connection attempt by a task to anything but the stack's Secrets Manager endpoint and PostgreSQL, refused and counted by the egress guard loaded into every task",
  failOpen: 'requests routed while no target was ready: like an ALB, the generator then uses all targets',
  expectedFailures:
    'failed requests a fault mode allows (e.g. 503 while the database is down); each mode says which, and the rest fail the verdict',
};

export function rotationRecords(
  outcomes: readonly RotationOutcome[],
  steps: readonly StepEvent[],
  t0: number,
  settleMs: number,
): RotationRecord[] {
  const rel = (at: number) => Math.round((at - t0) * 1000) / 1000;
  return outcomes.map((o, index) => {
    const own = steps.filter((s) => s.versionId === o.versionId).sort((a, b) => a.startedAt - b.startedAt);
    const create = own.find((s) => s.step === 'createSecret');
    const finish = own.filter((s) => s.step === 'finishSecret' && s.ok).at(-1);
    const last = own.at(-1);
    const start = create?.startedAt ?? o.requestedAt;
    const end = finish
      ? finish.startedAt + finish.durationMs
      : last
        ? last.startedAt + last.durationMs
        : o.finishedAt;
    return {
      index: index + 1,
      versionId: o.versionId,
      ok: o.ok,
      ...(o.error !== undefined && { error: o.error }),
      requestedMs: rel(o.requestedAt),
      finishedMs: rel(o.finishedAt),
      steps: own.map((s) => ({
        step: s.step,
        attempt: s.attempt,
        startMs: rel(s.startedAt),
        durationMs: s.durationMs,
        ok: s.ok,
        ...(s.errorType !== undefined && { errorType: s.errorType }),
      })),
      window: { startMs: rel(start), endMs: rel(Math.max(end, o.finishedAt) + settleMs) },
    };
  });
}

const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(2));
const ratio = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)}x`);

export function summaryTable(r: DrillReport): string {
  const lines: string[] = [];
  const row = (cells: string[]) => {
    const widths = [18, 10, 8, 8, 10, 10, 10];
    lines.push(
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 10) : c.padStart(widths[i] ?? 10))).join(''),
    );
  };
  const o = r.options;
  lines.push(
    `drill: ${o.app} app, ${r.mode}, ${o.strategy}, ${o.rotations} rotations, ${o.durationSeconds}s at ${o.rate} req/s, ${r.tasks.length || o.targetUrls.length} tasks, seed ${o.seed}`,
  );
  row(['', 'requests', 'failed', 'dropped', 'p50 ms', 'p99 ms', 'max ms']);
  for (const [name, s] of [
    ['steady', r.latency.steady],
    ['rotation windows', r.latency.rotation],
  ] as const) {
    row([
      name,
      String(s.requests),
      String(s.failed),
      String(s.dropped),
      fmt(s.p50Ms),
      fmt(s.p99Ms),
      fmt(s.maxMs),
    ]);
  }
  row([
    'rotation/steady',
    '',
    '',
    '',
    ratio(r.latency.ratio.p50),
    ratio(r.latency.ratio.p99),
    ratio(r.latency.ratio.max),
  ]);
  const a = r.latency.all;
  row([
    'all',
    String(r.totals.scheduled),
    String(r.totals.failed),
    String(r.totals.dropped),
    fmt(a.p50Ms),
    fmt(a.p99Ms),
    fmt(a.maxMs),
  ]);
  if (r.totals.failed > 0) {
    lines.push(
      `failed by reason: ${Object.entries(r.totals.failedByReason)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    lines.push(
      `failed by request: ${Object.entries(r.totals.failedByRequest)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  if (r.totals.failOpen > 0) lines.push(`routed with no ready target (fail-open): ${r.totals.failOpen}`);
  for (const t of r.tasks) {
    const calls = t.secretsManagerCalls
      ? Object.entries(t.secretsManagerCalls)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      : 'unknown';
    lines.push(
      `${t.name} ${t.url}: pool swaps ${t.poolSwaps ?? '?'} (observed ${t.poolSwapsObserved}), Secrets Manager calls: ${calls}, unready polls ${t.unreadyObservations}, exit ${t.exitCode ?? '-'}`,
    );
  }
  if (r.secretsManagerCallsByCaller) {
    const callers = Object.entries(r.secretsManagerCallsByCaller).map(
      ([caller, ops]) => `${caller} ${Object.values(ops).reduce((s, n) => s + n, 0)}`,
    );
    lines.push(`endpoint calls by caller: ${callers.join(', ')}`);
  }
  lines.push(
    r.interrupted
      ? 'after the load: not waited for (interrupted)'
      : r.settle.settled
        ? `after the load: every task on the final version within ${r.settle.waitedMs} ms (bound ${r.settle.boundMs} ms)`
        : `after the load: not every task on the final version within ${r.settle.boundMs} ms`,
  );
  lines.push(...fleetLines(r.fleet));
  const okRot = r.rotations.filter((x) => x.ok);
  const durations = okRot.map((x) => x.window.endMs - x.window.startMs - o.settleSeconds * 1000);
  const mean = durations.length ? Math.round(durations.reduce((s, n) => s + n, 0) / durations.length) : 0;
  lines.push(
    `rotations: ${okRot.length}/${o.rotations} finished (${o.strategy}), createSecret…finishSecret mean ${mean} ms`,
  );
  for (const x of r.rotations.filter((y) => !y.ok))
    lines.push(`  rotation ${x.index} FAILED: ${x.error ?? ''}`);
  const w = r.writes;
  lines.push(
    `writes: ${w.acknowledged} acknowledged, ${w.confirmed} confirmed, ${w.lost} lost, ${w.duplicated} duplicated, ${w.mismatched} mismatched`,
  );
  const l = r.leaks;
  lines.push(
    `secret hygiene: ${l.passwordsChecked} passwords checked in ${l.linesScanned} lines (${l.emfRecordsScanned} CloudWatch EMF records) from ${l.sourcesScanned} sources` +
      ` + report files: ${l.occurrences + (l.reportFileOccurrences ?? 0)} occurrences`,
  );
  if (r.egress) lines.push(egressLine(r.egress));
  if (r.k6) {
    lines.push(`k6 (exit ${String(r.k6.exitCode)}):`);
    for (const l of r.k6.summaryLines) lines.push(`  ${l.trim()}`);
  }
  if (r.appPrincipal) {
    const ops = Object.entries(r.appPrincipal.operations)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `app principal ${r.appPrincipal.caller}: ${ops || 'no calls'}${r.appPrincipal.pass ? ' (read-only: ok)' : ''}`,
    );
  }
  if (r.fault) {
    lines.push(`fault ${r.fault.name}: ${r.fault.description}`);
    if (r.fault.expectedFailures > 0) lines.push(`  failures the fault allows: ${r.fault.expectedFailures}`);
    for (const n of r.fault.notes ?? []) lines.push(`       ${n}`);
    for (const c of r.fault.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  lines.push(verdictLine(r));
  return lines.join('\n');
}

/** PASS, FAIL or INTERRUPTED, in words, for the terminal, the HTML title and the repeat summary. */
export function verdictWord(r: Pick<DrillReport, 'verdict' | 'interrupted'>): string {
  return r.interrupted ? 'INTERRUPTED' : r.verdict.pass ? 'PASS' : 'FAIL';
}

export function verdictLine(r: DrillReport): string {
  if (r.interrupted) {
    const { reason, afterSeconds } = r.interrupted;
    return (
      `verdict: INTERRUPTED (${reason} after ${afterSeconds.toFixed(1)} s of ${r.options.durationSeconds} s: ` +
      `a partial run, not judged as a whole; in what ran: ${r.verdict.reasons.slice(1).join('; ') || 'no problem found'})`
    );
  }
  return r.verdict.pass ? 'verdict: PASS' : `verdict: FAIL (${r.verdict.reasons.join('; ')})`;
}
