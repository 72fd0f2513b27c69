/**
 * One drill: environment up, open-model load, forced rotations, then the checks (lost writes,
 * secret hygiene), the report files and the verdict. Bounded: the load stops itself after
 * --duration, each rotation is given at most 60 s, each request --timeout-ms.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { parseSecret } from '../../app/src/credentials/secret-shape.js';
import { newHistogram, perSecond, recordMs, splitWindows, summarize } from '../../load/histogram.js';
import { startOpenModel } from '../../load/open-model.js';
import type { AcknowledgedWrite, RequestRecord } from '../../load/records.js';
import { loadScenario, RequestMix } from '../../load/scenario.js';
import { TargetPool, type ReadinessObservation } from '../../load/targets.js';
import { checkWrites, fetchOrderRows, type WriteCheck } from '../../load/writes.js';
import {
  collectPasswords,
  prepareEnvironment,
  type DrillEnvironment,
  type RotationOutcome,
} from './environment.js';
import { renderHtml } from './html.js';
import { countOccurrences, scanForPasswords } from './leaks.js';
import { rotationTimesMs, type DrillOptions } from './options.js';
import { scrapeTask } from './prometheus.js';
import {
  DEFINITIONS,
  rotationRecords,
  summaryTable,
  type AdoptionEvent,
  type DrillReport,
  type PoolSwapEvent,
} from './report.js';

export interface DrillResult {
  report: DrillReport;
  exitCode: number;
  files: { json: string; html: string };
}

interface ReadyBody {
  credentials?: { versionId?: string | null; username?: string | null };
  pool?: { generation?: number };
}

export async function runDrill(options: DrillOptions, write: (line: string) => void): Promise<DrillResult> {
  const started = new Date();
  const printed: string[] = [];
  const clock0 = Date.now();
  const say = (line: string) => {
    const text = `${((Date.now() - clock0) / 1000).toFixed(1).padStart(6)}s  ${line}`;
    printed.push(text);
    write(text);
  };
  const scenario = options.scenario !== undefined ? loadScenario(resolve(options.scenario)) : loadScenario();
  const env = await prepareEnvironment(options, say);
  try {
    return await drill(options, env, scenario, started, say, printed, write);
  } finally {
    await env.stop().catch((err: unknown) => {
      say(`stopping the environment: ${(err as Error).message}`);
    });
  }
}

async function drill(
  options: DrillOptions,
  env: DrillEnvironment,
  scenario: ReturnType<typeof loadScenario>,
  started: Date,
  say: (line: string) => void,
  printed: string[],
  write: (line: string) => void,
): Promise<DrillResult> {
  const durationMs = options.durationSeconds * 1000;
  let t0 = Date.now();
  const swaps: PoolSwapEvent[] = [];
  const adoptions: AdoptionEvent[] = [];
  const generation = new Map<number, number>();
  const version = new Map<number, string>();
  const unready = env.targetUrls.map(() => 0);
  const last: (ReadinessObservation | undefined)[] = env.targetUrls.map(() => undefined);
  const onObservation = (o: ReadinessObservation) => {
    last[o.target] = o;
    if (!o.ready) unready[o.target] = (unready[o.target] ?? 0) + 1;
    const body = o.body as ReadyBody | null;
    const gen = body?.pool?.generation;
    if (typeof gen === 'number') {
      const before = generation.get(o.target);
      if (before !== undefined && gen > before)
        swaps.push({ target: o.target, atMs: o.at - t0, fromGeneration: before, toGeneration: gen });
      generation.set(o.target, gen);
    }
    const v = body?.credentials?.versionId;
    if (typeof v === 'string' && version.get(o.target) !== v) {
      if (version.has(o.target))
        adoptions.push({
          target: o.target,
          atMs: o.at - t0,
          versionId: v,
          username: body?.credentials?.username ?? null,
        });
      version.set(o.target, v);
    }
  };
  const targets = new TargetPool({ urls: env.targetUrls, onObservation });
  await targets.start();

  const runId = `drill-${Date.now().toString(36)}-s${options.seed}`;
  const mix = new RequestMix(scenario, { seed: options.seed, keyPrefix: runId });
  say(
    `load: ${options.rate} req/s for ${options.durationSeconds}s over ${env.targetUrls.length} targets (open model, seed ${options.seed}); ` +
      `${options.rotations} ${options.strategy} rotations`,
  );
  const load = startOpenModel({
    rate: options.rate,
    durationMs,
    mix,
    targets,
    maxLateMs: options.maxLateMs,
    maxInFlight: options.maxInFlight,
    timeoutMs: options.timeoutMs,
  });
  t0 = load.startedAt;

  const outcomes: RotationOutcome[] = [];
  let rotating = false;
  const control = { stopRotations: false };
  const rotations = (async () => {
    for (const [k, atMs] of rotationTimesMs(options.rotations, options.durationSeconds).entries()) {
      const wait = t0 + atMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (control.stopRotations) return;
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

  const progress = setInterval(() => {
    const tick = load.takeTick();
    if (options.quiet) return;
    const sorted = tick.latenciesMs.sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted.length
        ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1)
        : '-';
    const tasks = last
      .map((o, i) => {
        const body = o?.body as ReadyBody | null | undefined;
        const state = o === undefined ? '?' : o.ready ? 'ready' : 'UNREADY';
        return `t${i + 1} ${state} ${body?.credentials?.username ?? '?'}@${(body?.credentials?.versionId ?? '').slice(0, 8)} #${body?.pool?.generation ?? '?'}`;
      })
      .join(' | ');
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
  clearTimeout(watchdog);
  clearInterval(progress);
  control.stopRotations = true;
  await rotations;
  targets.stop();
  say(`load done: ${load.records.length} requests; checking`);

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
  const passwords = await collectPasswords(env);
  const exitCodes = await env.stopTasks();

  const records = load.records;
  const rotationsReport = rotationRecords(outcomes, env.stepEvents, t0, options.settleSeconds * 1000);
  const windows = rotationsReport.map((r) => r.window);
  const all = newHistogram();
  const failedByReason: Record<string, number> = {};
  const failedByRequest: Record<string, number> = {};
  const byRequest: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let droppedLate = 0;
  let droppedCap = 0;
  for (const r of records) {
    byRequest[r.name] = (byRequest[r.name] ?? 0) + 1;
    if (r.latencyMs !== null) recordMs(all, r.latencyMs);
    if (r.outcome === 'ok') ok++;
    else if (r.outcome === 'failed') {
      failed++;
      const reason = r.reason ?? 'unknown';
      failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
      failedByRequest[r.name] = (failedByRequest[r.name] ?? 0) + 1;
    } else if (r.reason === 'late') droppedLate++;
    else droppedCap++;
  }
  const dropped = droppedLate + droppedCap;
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
    totals: {
      scheduled: records.length,
      sent: records.length - dropped,
      ok,
      failed,
      dropped,
      droppedLate,
      droppedInFlightCap: droppedCap,
      failOpen: targets.failOpen,
      failedByReason,
      failedByRequest,
      byRequest,
    },
    latency: { all: summarize(all), ...splitWindows(records, windows) },
    rotations: rotationsReport,
    swaps,
    adoptions,
    tasks: env.targetUrls.map((url, i) => ({
      name: `task${i + 1}`,
      url,
      poolSwaps: taskMetrics[i]?.poolSwaps ?? null,
      poolSwapsObserved: swaps.filter((s) => s.target === i).length,
      secretsManagerCalls: taskMetrics[i]?.secretsManagerCalls ?? null,
      unreadyObservations: unready[i] ?? 0,
      exitCode: exitCodes[i],
    })),
    secretsManagerCallsByCaller: callsByCaller,
    writes,
    leaks: {
      ...scanForPasswords([...env.logs(), { source: 'drill-terminal', lines: printed }], passwords),
      reportFileOccurrences: null,
    },
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
  for (const f of [files.json, files.html]) {
    const text = await readFile(f, 'utf8');
    for (const p of passwords)
      inFiles +=
        countOccurrences(text, p) +
        (JSON.stringify(p).slice(1, -1) === p ? 0 : countOccurrences(text, JSON.stringify(p).slice(1, -1)));
  }
  report.leaks.reportFileOccurrences = inFiles;
  setVerdict(report, options);
  await writeFiles();

  write('');
  write(summaryTable(report));
  write(`report: ${files.json}`);
  write(`        ${files.html}`);
  return { report, exitCode: report.verdict.pass ? 0 : 1, files };
}

function setVerdict(report: DrillReport, options: DrillOptions): void {
  const reasons: string[] = [];
  const t = report.totals;
  if (t.failed > 0) reasons.push(`${t.failed} failed requests`);
  if (t.dropped > 0) reasons.push(`${t.dropped} dropped requests`);
  const w = report.writes;
  if (w.lost > 0) reasons.push(`${w.lost} lost writes`);
  if (w.duplicated > 0) reasons.push(`${w.duplicated} duplicated writes`);
  if (w.mismatched > 0) reasons.push(`${w.mismatched} mismatched writes`);
  const leaks = report.leaks.occurrences + (report.leaks.reportFileOccurrences ?? 0);
  if (leaks > 0) reasons.push(`${leaks} password occurrences in logs or reports`);
  if (report.leaks.passwordsChecked === 0) reasons.push('no password could be read for the hygiene check');
  const finished = report.rotations.filter((r) => r.ok).length;
  if (finished < options.rotations) reasons.push(`${finished}/${options.rotations} rotations finished`);
  const badExits = report.tasks.filter((x) => x.exitCode !== undefined && x.exitCode !== 0);
  if (badExits.length > 0)
    reasons.push(
      `tasks exited with ${badExits.map((x) => `${x.name}=${x.exitCode ?? 'signal'}`).join(', ')}`,
    );
  report.verdict = { pass: reasons.length === 0, reasons };
}

/** A connection as the master user to the app's database (for the checks, never for the load). */
async function masterClient(env: DrillEnvironment): Promise<{ client: pg.Client; appUser: string }> {
  if (env.masterSecretId === undefined)
    throw new Error('no master secret (--master-secret-id or DB_MASTER_SECRET_ID)');
  const [master, app] = await Promise.all([
    env.admin.send(new GetSecretValueCommand({ SecretId: env.masterSecretId })),
    env.admin.send(new GetSecretValueCommand({ SecretId: env.secretId })),
  ]);
  const appDb = parseSecret(app.SecretString, {}).credentials;
  const m = parseSecret(master.SecretString, {
    host: appDb.host,
    port: appDb.port,
    dbname: appDb.dbname,
  }).credentials;
  const client = new pg.Client({
    host: m.host,
    port: m.port,
    database: appDb.dbname,
    user: m.username,
    password: m.password,
    ssl: false,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return { client, appUser: appDb.username.replace(/_clone$/, '') };
}

async function verifyWrites(env: DrillEnvironment, acked: readonly AcknowledgedWrite[]): Promise<WriteCheck> {
  const { client } = await masterClient(env);
  try {
    return checkWrites(acked, await fetchOrderRows(client, env.schema, acked));
  } finally {
    await client.end();
  }
}

/** Terminates every backend of the app's login roles (both of them); returns how many. */
async function killAppConnections(env: DrillEnvironment): Promise<number> {
  const { client, appUser } = await masterClient(env);
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
        WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()`,
      [[appUser, `${appUser}_clone`]],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
