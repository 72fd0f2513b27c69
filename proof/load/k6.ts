/**
 * k6 as the drill's load generator: the project's k6 script (load/k6/rotation.js) with the same
 * request mix, rate and duration, run as a separate process (k6 is AGPL-3.0: run, never linked).
 * Its `--out json` stream becomes the same request records and acknowledged writes the open-model
 * generator produces, so the drill's checks (windows, lost writes, settle) run unchanged; k6's own
 * thresholds and exit code are reported beside them.
 *
 * What k6 measures differs in two ways from the open model: latency is http_req_duration (from
 * send to the end of the answer; a request k6 started late is not charged its lateness, it is
 * counted in dropped_iterations when no VU was free), and requests go to the targets in turn by
 * iteration, not by readiness (no fault mode that takes a task away runs with k6).
 */
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, closeSync, openSync, readSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnInOwnGroup } from '../../local/own-group.js';
import type { OpenModelRun, TickStats } from './open-model.js';
import type { AcknowledgedWrite, RequestRecord } from './records.js';
import type { Scenario } from './scenario.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const K6_SCRIPT = join(REPO_ROOT, 'load', 'k6', 'rotation.js');
/** Where tools/k6/setup.sh installs the pinned build. */
export const CACHED_K6 = join(REPO_ROOT, '.cache', 'k6', 'bin', 'k6');

/** The user's k6 on PATH first, else the pinned one in .cache/k6; undefined when there is none. */
export function locateK6(path = process.env.PATH ?? ''): string | undefined {
  const candidates = [
    ...path
      .split(delimiter)
      .filter((d) => d !== '')
      .map((d) => join(d, 'k6')),
    CACHED_K6,
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface K6LoadOptions {
  k6: string;
  rate: number;
  durationMs: number;
  targets: readonly string[];
  scenario: Scenario;
  scenarioFile: string;
  /** Prefix of the Idempotency-Keys. */
  runId: string;
  /** A 503 with Retry-After passes k6's check (fault modes that take the database away). */
  allow503: boolean;
  p99Ms: number;
  maxVus: number;
  /** Folder for k6's JSON stream and summary. */
  outDir: string;
}

export interface K6Outcome {
  exitCode: number | null;
  /** What handleSummary printed: the figures and one line per threshold. */
  summaryLines: string[];
  summaryFile: string;
  /** Each threshold k6 evaluated, with its result. */
  thresholds: { metric: string; expression: string; ok: boolean }[];
}

/** The open model's handle, plus k6's own verdict once it has exited. */
export interface K6LoadRun extends OpenModelRun {
  readonly outcome: Promise<K6Outcome>;
}

interface Point {
  metric: string;
  type: string;
  data?: { time: string; value: number; tags?: Record<string, string> };
}

/** k6 is given this long to start sending before the run is abandoned. */
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

export async function startK6Load(options: K6LoadOptions): Promise<K6LoadRun> {
  const stream = join(options.outDir, 'k6-points.json');
  const summaryFile = join(options.outDir, 'k6-summary.json');
  // Its own process group: a terminal's Ctrl-C reaches the drill, which stops k6 with SIGINT so it
  // still writes its summary.
  const child = spawnInOwnGroup(
    options.k6,
    ['run', '--quiet', '--no-color', '--out', `json=${stream}`, K6_SCRIPT],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        K6_NO_USAGE_REPORT: 'true',
        BASE_URLS: options.targets.join(','),
        RATE: String(options.rate),
        DURATION: `${Math.round(options.durationMs)}ms`,
        P99_MS: String(options.p99Ms),
        // One second of arrivals up front: a VU k6 has to start mid-run can come too late and drop
        // an iteration, which would measure k6, not the app.
        PRE_VUS: String(Math.min(options.maxVus, Math.max(20, Math.ceil(options.rate)))),
        MAX_VUS: String(options.maxVus),
        SCENARIO: options.scenarioFile,
        SUMMARY_PATH: summaryFile,
        RUN_ID: options.runId,
        WRITES_DETAIL: 'true',
        ALLOW_503: String(options.allow503),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      onParentDeath: 'SIGKILL',
    },
  );
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    stream?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const expectOf = new Map(options.scenario.requests.map((r) => [r.name, r.expect]));
  const reader = new PointReader(stream);
  const records: RequestRecord[] = [];
  const writes: AcknowledgedWrite[] = [];
  let startedAt: number | undefined;
  let tick: TickStats = emptyTick();
  const rel = (ms: number) => ms - (startedAt ?? ms);

  const consume = () => {
    for (const p of reader.readNew()) {
      if (p.type !== 'Point' || p.data === undefined) continue;
      const tags = p.data.tags ?? {};
      const at = Date.parse(p.data.time);
      if (p.metric === 'http_req_duration' && tags.scenario === 'rotation') {
        startedAt ??= at - p.data.value;
        const status = Number(tags.status ?? 0);
        const ok = status === expectOf.get(tags.name ?? '');
        const record: RequestRecord = {
          seq: records.length,
          name: tags.name ?? '?',
          target: Number(tags.target ?? 0),
          intendedMs: rel(at - p.data.value),
          sendLagMs: 0,
          latencyMs: p.data.value,
          outcome: ok ? 'ok' : 'failed',
          ...(status > 0 && { status }),
          ...(!ok && { reason: status > 0 ? `status ${status}` : `k6 error ${tags.error_code ?? '?'}` }),
        };
        records.push(record);
        tick.sent++;
        if (ok) tick.ok++;
        else tick.failed++;
        tick.latenciesMs.push(p.data.value);
      } else if (p.metric === 'dropped_iterations') {
        records.push({
          seq: records.length,
          name: '(dropped by k6)',
          target: -1,
          intendedMs: rel(at),
          sendLagMs: 0,
          latencyMs: null,
          outcome: 'dropped',
          reason: 'in-flight-cap',
        });
        tick.dropped++;
      } else if (p.metric === 'acknowledged_writes' && tags.idempotency_key !== undefined) {
        writes.push({
          id: tags.order_id ?? '',
          idempotencyKey: tags.idempotency_key,
          target: Number(tags.target ?? 0),
          intendedMs: rel(at),
        });
      }
    }
  };

  // Started once the first request of the scenario is in the stream (its start time is t0).
  const deadline = Date.now() + START_TIMEOUT_MS;
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const firstRequestAt = (): number | undefined => startedAt;
  for (;;) {
    consume();
    if (firstRequestAt() !== undefined) break;
    if (code !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = output.join('').trim().split('\n').slice(-10).join('\n');
      throw new Error(
        `k6 did not start the load (${code === undefined ? 'timeout' : `exit ${String(code)}`}):\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const t0 = firstRequestAt() ?? Date.now();

  const outcome = exited.then((exitCode): K6Outcome => {
    consume();
    reader.close();
    const text = output.join('');
    const summaryLines = text
      .split('\n')
      .filter((l) => l.startsWith('  ') || l.startsWith('rotation scenario:') || l.startsWith('verdict:'));
    return { exitCode, summaryLines, summaryFile, thresholds: thresholdsFrom(summaryLines) };
  });

  return {
    startedAt: t0,
    records,
    writes,
    inFlight: () => 0,
    takeTick() {
      consume();
      const taken = tick;
      tick = emptyTick();
      return taken;
    },
    done: outcome.then(() => undefined),
    outcome,
    stop() {
      stopK6(child);
    },
  };
}

/** SIGINT: k6 stops its scenario, still evaluates the thresholds and writes its summary. */
function stopK6(child: ChildProcess): void {
  if (child.exitCode === null) child.kill('SIGINT');
}

function emptyTick(): TickStats {
  return { sent: 0, ok: 0, failed: 0, dropped: 0, latenciesMs: [] };
}

/** The `ok  ` / `FAIL` lines the script's handleSummary prints, as data. */
export function thresholdsFrom(lines: readonly string[]): K6Outcome['thresholds'] {
  return lines.flatMap((l) => {
    const m = /^ {2}(ok {2}|FAIL) (\S+) (.+)$/.exec(l);
    return m ? [{ metric: m[2] ?? '', expression: m[3] ?? '', ok: m[1] === 'ok  ' }] : [];
  });
}

/** Reads the complete lines appended to a file since the last call. */
class PointReader {
  #fd: number | undefined;
  #offset = 0;
  #rest = '';
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  readNew(): Point[] {
    if (this.#fd === undefined) {
      try {
        this.#fd = openSync(this.#file, 'r');
      } catch {
        return []; // not written yet
      }
    }
    const buffer = Buffer.alloc(1 << 20);
    let text = this.#rest;
    for (;;) {
      const n = readSync(this.#fd, buffer, 0, buffer.length, this.#offset);
      if (n === 0) break;
      this.#offset += n;
      text += buffer.subarray(0, n).toString('utf8');
    }
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    return lines.filter((l) => l !== '').map((l) => JSON.parse(l) as Point);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
