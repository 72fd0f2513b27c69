/**
 * docker-compose.yml for real, unchanged: `docker-compose up` builds the Dockerfile's `runtime` and
 * `tools` stages and starts PostgreSQL, the Secrets Manager emulator, the bootstrap, two app
 * containers and the rotator (every 15 s). Then 50 requests/s for 75 s while the rotator rotates at
 * least 3 times: no failed or dropped request, every acknowledged write in the database. The load
 * is the compose file's own k6 (`docker-compose --profile load up k6`, judged by k6's exit code and
 * summary) under alternating users, and the project's open-model generator on both published
 * ports under single user. Then `SIGTERM` to app-1
 * under load (`docker-compose stop app-1`): it exits 0, and nothing fails on app-2. `down` leaves
 * no container, network or volume of the project behind.
 *
 * Once per rotation strategy, each in its own compose project. Needs a Docker-compatible engine
 * (Docker, or podman's API service: tools/containers/engine.sh) and docker-compose; mandatory with
 * REQUIRE_CONTAINERS=1. The run's figures go to test-output/compose-run-<strategy>.json. When a
 * service exits non-zero or never becomes healthy, the failure carries its last log lines.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenModel, type OpenModelRun } from '../../proof/load/open-model.js';
import type { RequestRecord } from '../../proof/load/records.js';
import { loadScenario, RequestMix } from '../../proof/load/scenario.js';
import { TargetPool } from '../../proof/load/targets.js';
import { checkWrites, fetchOrderRows } from '../../proof/load/writes.js';
import { findFreePort } from '../../local/free-port.js';
import { findOnPath } from '../helpers/secrets-manager-targets.js';
import { containerSkipReason, engineGet } from '../helpers/container-engine.js';
import { CTRL_C, runInTerminal } from '../helpers/terminal.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const outputDir = join(repoRoot, 'test-output');

const RATE = 50;
const LOAD_SECONDS = 75;
const ROTATION_EVERY_SECONDS = 15;
const SIGTERM_LOAD_SECONDS = 20;
/** The compose file's dummy master password for this local stack (docker-compose.yml). */
const MASTER_PASSWORD = 'local-master-password';
/** How many of a failing service's last log lines a test failure carries. */
const FAILURE_LOG_LINES = 40;

/** Which load drives each strategy's run: the compose file's k6, or the open-model generator. */
const LOAD_BY_STRATEGY = { 'alternating-users': 'k6', 'single-user': 'open-model' } as const;

const composeBinary = findOnPath('docker-compose');
const skipReason =
  (await containerSkipReason()) ??
  (composeBinary === undefined && process.env.REQUIRE_CONTAINERS !== '1'
    ? 'docker-compose is not on PATH'
    : undefined);

interface ContainerState {
  Status: string;
  ExitCode: number;
  StartedAt: string;
  Health?: { Status: string; Log?: { Start: string; End: string; ExitCode: number }[] | null };
}
interface ContainerInspect {
  Id: string;
  RestartCount?: number;
  State: ContainerState;
  Config: { User?: string };
  HostConfig: { ReadonlyRootfs?: boolean };
}

class ComposeProject {
  readonly name = `rcompose${randomUUID().slice(0, 8)}`;
  readonly env: NodeJS.ProcessEnv;

  constructor(vars: Record<string, string>) {
    this.env = { ...process.env, ...vars };
  }

  async run(args: string[], timeoutMs = 600_000): Promise<string> {
    if (composeBinary === undefined) throw new Error('docker-compose is not on PATH');
    const { stdout } = await execFileAsync(composeBinary, ['-p', this.name, ...args], {
      cwd: repoRoot,
      env: this.env,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  async containerId(service: string): Promise<string> {
    const id = (await this.run(['ps', '-q', service])).trim();
    if (!id) throw new Error(`no container for ${service}`);
    return id;
  }

  async inspect(service: string): Promise<ContainerInspect> {
    const id = await this.containerId(service);
    const answer = await engineGet(`/containers/${id}/json`);
    if (answer.status !== 200) throw new Error(`inspect ${service}: HTTP ${answer.status}`);
    return answer.body as ContainerInspect;
  }

  /**
   * Why the stack is not up, for a test failure: the last log lines of every service that exited
   * non-zero, was restarted (`restart: unless-stopped` hides a crash), or has a health check and is
   * not healthy (empty when none). The services log through
   * the project's redaction; the SQL `PASSWORD '…'` literals PostgreSQL may echo are blanked anyway.
   */
  async failureLogs(): Promise<string> {
    const filter = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${this.name}`] }));
    const list = await engineGet(`/containers/json?all=true&filters=${filter}`);
    const containers = Array.isArray(list.body)
      ? (list.body as { Id: string; Labels?: Record<string, string> }[])
      : [];
    const sections: string[] = [];
    for (const { Id, Labels } of containers) {
      const service = Labels?.['com.docker.compose.service'];
      const inspect = await engineGet(`/containers/${Id}/json`);
      const container = inspect.body as ContainerInspect | undefined;
      const state = container?.State;
      if (service === undefined || state === undefined) continue;
      const health = state.Health?.Status; // empty or absent without a health check
      const restarts = container?.RestartCount ?? 0;
      const why =
        state.Status === 'exited' && state.ExitCode !== 0
          ? `exited with code ${state.ExitCode}`
          : restarts > 0
            ? `restarted ${restarts} time(s)`
            : state.Status === 'running' && health && health !== 'healthy'
              ? `health ${health}`
              : undefined;
      if (why === undefined) continue;
      const logs = await this.run(
        ['logs', '--no-color', '--tail', String(FAILURE_LOG_LINES), service],
        60_000,
      ).catch((error: unknown) => `(docker-compose logs failed: ${String(error)})`);
      sections.push(`--- ${service} (${why}), last ${FAILURE_LOG_LINES} log lines:\n${logs.trimEnd()}`);
    }
    return sections.join('\n').replace(/(PASSWORD\s+)'[^']*'/gi, "$1'[redacted]'");
  }

  /** `work`'s result, or its failure with failureLogs() appended to the message. */
  async explained<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const logs = await this.failureLogs().catch((e: unknown) => `(no service logs: ${String(e)})`);
      if (error instanceof Error && logs) error.message += `\n${logs}`;
      throw error;
    }
  }

  /** What is left of this project on the engine (by compose's project label). */
  async leftovers(): Promise<{ containers: number; networks: number; volumes: number }> {
    const filter = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${this.name}`] }));
    const count = async (path: string, key?: string): Promise<number> => {
      const answer = await engineGet(`${path}?all=true&filters=${filter}`);
      const body = key ? (answer.body as Record<string, unknown[] | null>)[key] : answer.body;
      return Array.isArray(body) ? body.length : 0;
    };
    return {
      containers: await count('/containers/json'),
      networks: await count('/networks'),
      volumes: await count('/volumes', 'Volumes'),
    };
  }
}

async function volumeCount(): Promise<number> {
  const answer = await engineGet('/volumes');
  const list = (answer.body as { Volumes?: unknown[] | null }).Volumes;
  return Array.isArray(list) ? list.length : 0;
}

/** First `/health/ready` 200 of `url`, polled every 100 ms from now (ms since the epoch). */
async function firstReady(url: string, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return Date.now();
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/health/ready never answered 200`);
}

function tally(records: readonly RequestRecord[], target?: number) {
  const mine = target === undefined ? records : records.filter((r) => r.target === target);
  const reasons: Record<string, number> = {};
  for (const r of mine)
    if (r.outcome !== 'ok') reasons[r.reason ?? r.outcome] = (reasons[r.reason ?? r.outcome] ?? 0) + 1;
  return {
    sent: mine.filter((r) => r.outcome !== 'dropped').length,
    ok: mine.filter((r) => r.outcome === 'ok').length,
    failed: mine.filter((r) => r.outcome === 'failed').length,
    dropped: mine.filter((r) => r.outcome === 'dropped').length,
    reasons,
  };
}

async function runLoad(targets: TargetPool, seconds: number, keyPrefix: string): Promise<OpenModelRun> {
  const mix = new RequestMix(loadScenario(), { seed: 13, keyPrefix });
  const load = startOpenModel({ rate: RATE, durationMs: seconds * 1000, mix, targets });
  await load.done;
  return load;
}

/** k6's figures from its end-of-test summary (the script's handleSummary lines). */
function k6Summary(logs: string) {
  const figure = (label: string) => Number(new RegExp(`^\\s*${label}\\s+(\\d+)`, 'm').exec(logs)?.[1] ?? NaN);
  return {
    requests: figure('requests'),
    failed: figure('failed'),
    dropped: figure('dropped'),
    writesAcked: figure('writes acked'),
    p99: /p99 ([\d.]+) ms/.exec(logs)?.[1] ?? null,
    thresholdsFailed: logs.split('\n').filter((l) => /^\s*FAIL /.test(l)),
    verdict: /^verdict: (PASS|FAIL.*)$/m.exec(logs)?.[1] ?? null,
    lines: logs
      .split('\n')
      .filter((l) =>
        /^(rotation scenario:| {2}(requests|failed|503|writes|dropped|checks|latency|ok|FAIL) |verdict:)/.test(
          l,
        ),
      ),
  };
}

/**
 * `docker-compose --profile load up k6`, as the README has users run it: k6 in its container
 * against both apps by service name, until it exits. Its exit code and summary are the verdict,
 * with the rotations seen meanwhile and k6's acknowledged writes counted in the database.
 */
async function k6Load(project: ComposeProject, figures: Record<string, unknown>): Promise<void> {
  const started = Date.now();
  await project.explained(() => project.run(['up', '-d', 'k6']));
  const deadline = started + (LOAD_SECONDS + 120) * 1000;
  let k6 = await project.inspect('k6');
  while (k6.State.Status !== 'exited' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    k6 = await project.inspect('k6');
  }
  const logs = await project.run(['logs', '--no-color', '--no-log-prefix', 'k6']);
  const summary = k6Summary(logs);
  const rotations = rotationLines(await project.run(['logs', '--no-color', 'rotator']));
  const runId = project.env.K6_RUN_ID ?? '';
  const client = new pg.Client({
    host: '127.0.0.1',
    port: Number(project.env.POSTGRES_PORT),
    user: 'postgres',
    password: MASTER_PASSWORD,
    database: 'app',
  });
  await client.connect();
  const { rows } = await client
    .query<{ n: number }>('SELECT count(*)::int AS n FROM app.orders WHERE idempotency_key LIKE $1', [
      `${runId}-%`,
    ])
    .finally(() => client.end());
  figures.k6 = {
    exitCode: k6.State.ExitCode,
    seconds: (Date.now() - started) / 1000,
    ...summary,
    ordersInDatabase: rows[0]?.n,
    rotations: rotations.length,
  };
  figures.rotations = rotations.length;
  await project.explained(() => {
    expect(k6.State.Status, logs).toBe('exited');
    expect(k6.State.ExitCode, logs).toBe(0);
    expect(summary.verdict, logs).toBe('PASS');
    expect(summary.thresholdsFailed).toEqual([]);
    expect(summary.requests).toBeGreaterThanOrEqual(RATE * LOAD_SECONDS);
    expect(summary.failed).toBe(0);
    expect(summary.dropped).toBe(0);
    expect(rotations.length).toBeGreaterThanOrEqual(3);
    expect(summary.writesAcked).toBeGreaterThan(0);
    // Every write k6 saw acknowledged is in the database once (its keys are unique to this run).
    expect(rows[0]?.n).toBe(summary.writesAcked);
  });
}

function rotationLines(logs: string): string[] {
  return logs.split('\n').filter((line) => /rotation \S+: local\/app\/db version /.test(line));
}

for (const strategy of ['alternating-users', 'single-user'] as const) {
  describe.skipIf(skipReason !== undefined)(
    `docker-compose up under load, ${strategy} rotations${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    () => {
      let project: ComposeProject;
      let ports: { app1: number; app2: number; postgres: number };
      let volumesBefore = 0;
      const figures: Record<string, unknown> = { strategy, load: LOAD_BY_STRATEGY[strategy] };
      const k6RunId = `compose-k6-${randomUUID().slice(0, 8)}`;

      beforeAll(async () => {
        ports = { app1: await findFreePort(), app2: await findFreePort(), postgres: await findFreePort() };
        project = new ComposeProject({
          // The k6 service is in the `load` profile: every command of this project sees it.
          COMPOSE_PROFILES: 'load',
          K6_RATE: String(RATE),
          K6_DURATION: `${LOAD_SECONDS}s`,
          K6_RUN_ID: k6RunId,
          APP_1_PORT: String(ports.app1),
          APP_2_PORT: String(ports.app2),
          POSTGRES_PORT: String(ports.postgres),
          SECRETS_MANAGER_PORT: String(await findFreePort()),
          ROTATION_EVERY_SECONDS: String(ROTATION_EVERY_SECONDS),
          ROTATION_STRATEGY: strategy,
        });
        volumesBefore = await volumeCount();
        const buildStarted = Date.now();
        await project.run(['build']);
        figures.buildSeconds = (Date.now() - buildStarted) / 1000;
      }, 900_000);

      afterAll(async () => {
        try {
          await project.run(['down', '--timeout', '30']);
        } finally {
          mkdirSync(outputDir, { recursive: true });
          writeFileSync(
            join(outputDir, `compose-run-${strategy}.json`),
            `${JSON.stringify(figures, null, 2)}\n`,
          );
        }
      }, 180_000);

      it(`starts both apps healthy from their own HEALTHCHECK, then serves ${LOAD_BY_STRATEGY[strategy]} load through ≥ 3 rotations: 0 failed, 0 dropped, no write lost`, async () => {
        const urls = [`http://127.0.0.1:${ports.app1}`, `http://127.0.0.1:${ports.app2}`];
        const upStarted = Date.now();
        const deadline = upStarted + 300_000;
        const ready = Promise.all(urls.map((url) => firstReady(url, deadline)));
        // Awaited below; if `up` fails first, its error (with the services' logs) is the one to report.
        ready.catch(() => undefined);
        // The rotator depends on both apps being healthy: `up -d rotator` returns once they are.
        await project.explained(() => project.run(['up', '-d', 'rotator']));
        const upDone = Date.now();
        const readyAt = await project.explained(() => ready);
        const apps = await Promise.all(['app-1', 'app-2'].map((s) => project.inspect(s)));
        for (const app of apps) expect(app.State.Health?.Status).toBe('healthy');
        figures.composeUpToBothHealthySeconds = (upDone - upStarted) / 1000;
        figures.containerStartToReadySeconds = apps.map(
          (app, i) => ((readyAt[i] ?? 0) - Date.parse(app.State.StartedAt)) / 1000,
        );

        if (LOAD_BY_STRATEGY[strategy] === 'k6') {
          await k6Load(project, figures);
          return;
        }
        const targets = new TargetPool({ urls });
        await targets.start();
        const load = await runLoad(targets, LOAD_SECONDS, `compose-${strategy}`);
        targets.stop();
        const totals = tally(load.records);
        figures.load = { rate: RATE, seconds: LOAD_SECONDS, ...totals };

        const rotations = rotationLines(await project.run(['logs', '--no-color', 'rotator']));
        figures.rotations = rotations.length;
        const rotator = await project.inspect('rotator');
        await project.explained(() => {
          expect(rotator.State.Status, 'the rotator is still running (no rotation failed)').toBe('running');
        });

        const client = new pg.Client({
          host: '127.0.0.1',
          port: ports.postgres,
          user: 'postgres',
          password: MASTER_PASSWORD,
          database: 'app',
        });
        await client.connect();
        const writes = await fetchOrderRows(client, 'app', load.writes).finally(() => client.end());
        const check = checkWrites(load.writes, writes);
        figures.writes = { acknowledged: check.acknowledged, confirmed: check.confirmed, lost: check.lost };

        await project.explained(() => {
          expect(totals.failed, JSON.stringify(totals.reasons)).toBe(0);
          expect(totals.dropped).toBe(0);
          expect(totals.ok).toBe(RATE * LOAD_SECONDS);
          expect(rotations.length).toBeGreaterThanOrEqual(3);
          expect(check.acknowledged).toBeGreaterThan(0);
          expect(check.problems).toEqual([]);
          expect(check.confirmed).toBe(check.acknowledged);
        });
      }, 600_000);

      it('app-1 runs as the non-root user on a read-only root filesystem', async () => {
        const app = await project.inspect('app-1');
        expect(app.HostConfig.ReadonlyRootfs).toBe(true);
        const id = (await project.run(['exec', '-T', 'app-1', 'id', '-u'])).trim();
        expect(id).toBe('1000');
        const write = await project
          .run(['exec', '-T', 'app-1', 'sh', '-c', 'echo x > /app/written 2>&1 || echo refused'])
          .catch((error: unknown) => String(error));
        expect(write).toMatch(/Read-only file system|refused/);
      }, 120_000);

      it('SIGTERM to app-1 under load: it exits 0, and nothing fails on app-2', async () => {
        const targets = new TargetPool({
          urls: [`http://127.0.0.1:${ports.app1}`, `http://127.0.0.1:${ports.app2}`],
        });
        await targets.start();
        const loadDone = runLoad(targets, SIGTERM_LOAD_SECONDS, `compose-${strategy}-sigterm`);
        // A third of the way in, as ECS stops a task: SIGTERM, then SIGKILL after stop_grace_period.
        await new Promise((resolve) => setTimeout(resolve, (SIGTERM_LOAD_SECONDS * 1000) / 3));
        await project.run(['stop', 'app-1'], 120_000);
        const load = await loadDone;
        targets.stop();
        const app1 = await project.inspect('app-1');
        figures.sigterm = {
          exitCode: app1.State.ExitCode,
          app1: tally(load.records, 0),
          app2: tally(load.records, 1),
        };
        await project.explained(() => {
          expect(app1.State.Status).toBe('exited');
          expect(app1.State.ExitCode).toBe(0);
        });
        const app2 = tally(load.records, 1);
        expect(app2.failed, JSON.stringify(app2.reasons)).toBe(0);
        expect(app2.ok).toBeGreaterThan(0);
        expect(tally(load.records).dropped).toBe(0);
      }, 300_000);

      // As docs/compose.md has users stop it: `up` in a terminal, Ctrl-C, then `down` (below). Once,
      // with the first strategy: how the services stop does not depend on it.
      if (strategy === 'alternating-users')
        it('Ctrl-C on a `docker-compose up` in a terminal stops every service on its SIGTERM, each exiting 0', async () => {
          // The load profile's k6 would start a run of its own: this `up` is the stack alone.
          const up = runInTerminal(`${composeBinary ?? 'docker-compose'} -p ${project.name} up`, {
            ...(project.env as Record<string, string>),
            COMPOSE_PROFILES: '',
          });
          await up.waitFor(/Attaching to /);
          // Stopped by the SIGTERM test above; `up` starts it again: wait until it serves.
          await firstReady(`http://127.0.0.1:${ports.app1}`, Date.now() + 120_000);
          const pressedAt = Date.now();
          up.press(CTRL_C);
          await up.waitFor(/Gracefully stopping/);
          const { code, at } = await up.exited;
          const states = Object.fromEntries(
            await Promise.all(
              ['postgres', 'localstack', 'app-1', 'app-2', 'rotator'].map(
                async (service) => [service, (await project.inspect(service)).State] as const,
              ),
            ),
          );
          figures.ctrlC = {
            seconds: (at - pressedAt) / 1000,
            composeExitCode: code,
            exitCodes: Object.fromEntries(Object.entries(states).map(([k, v]) => [k, v.ExitCode])),
          };
          await project.explained(() => {
            // Not 137 (SIGKILL after stop_grace_period: a SIGTERM ignored) nor 143 (SIGTERM's default
            // action: the rotator's rotation under way cut off), but a clean stop.
            for (const [service, state] of Object.entries(states)) {
              expect(state.Status, service).toBe('exited');
              expect(state.ExitCode, service).toBe(0);
            }
          });
        }, 240_000);

      it('`docker-compose down` leaves no container, network or volume', async () => {
        await project.run(['down', '--timeout', '30'], 180_000);
        expect(await project.leftovers()).toEqual({ containers: 0, networks: 0, volumes: 0 });
        expect(await volumeCount()).toBe(volumesBefore);
      }, 240_000);
    },
  );
}
