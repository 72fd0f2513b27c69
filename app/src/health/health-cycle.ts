import pTimeout from 'p-timeout';
import type { Logger } from 'pino';
import type { CredentialStore } from '../credentials/credential-store.js';
import { errorName } from '../util/error-name.js';
import type { RotatingPool } from '../db/rotating-pool.js';
import type { Metrics } from '../metrics.js';
import { jittered } from '../util/backoff.js';
import type { ReadinessSnapshot, ReadinessSource } from './readiness.js';

/** While the database is unreachable, probe it this often: readiness follows within ~2 s of its return. */
const RECOVERY_PROBE_MS = 500;
/** ±10 % on the interval, so a fleet's tasks do not call Secrets Manager in step. */
const INTERVAL_JITTER = 0.1;

export interface HealthCycleOptions {
  store: CredentialStore;
  pool: RotatingPool;
  logger: Logger;
  intervalSeconds: number;
  /** A probe slower than this counts as unreachable. */
  probeTimeoutMs: number;
  /** While the database is unreachable it is probed this often, so readiness returns soon after it does. Default 500. */
  recoveryProbeMs?: number;
  /** Counts each change of readiness (the first `ready` at startup included). */
  metrics?: Pick<Metrics, 'readinessTransitions'>;
}

export interface CycleResult {
  credentials: Awaited<ReturnType<CredentialStore['checkForNewVersion']>>;
  databaseReachable: boolean;
}

/**
 * Every interval (±10 % jitter): ask Secrets Manager whether AWSCURRENT moved (adopting it if so)
 * and probe the database. Readiness reports the last result, so ALB health checks cost no API
 * calls and no extra DB load.
 *
 * The database can go away between cycles: when work fails for want of a connection the pool says
 * so, the database is probed at once, and while it stays unreachable it is re-probed every
 * `recoveryProbeMs` (only the probe: Secrets Manager is not asked more often).
 */
export class HealthCycle implements ReadinessSource {
  readonly #opts: HealthCycleOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<CycleResult> | undefined;
  #stopped = false;
  #draining = false;
  #database: ReadinessSnapshot['database'] = { reachable: false, checkedAt: null };
  #probing: Promise<boolean> | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #unreachableSince: number | undefined;
  /** Readiness as last reported; a task starts unready. */
  #wasReady = false;

  constructor(options: HealthCycleOptions) {
    this.#opts = options;
    const probeIfReachable = () => {
      if (this.#database.reachable) void this.#probe();
    };
    options.pool.on('unavailable', probeIfReachable);
    options.pool.on('stalled', probeIfReachable);
  }

  /** Runs one cycle now, then keeps running until stop(). */
  async start(): Promise<CycleResult> {
    const first = await this.runOnce();
    this.#schedule();
    return first;
  }

  /** One cycle; concurrent callers share it. */
  runOnce(): Promise<CycleResult> {
    this.#running ??= this.#cycle().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** From now on readiness is 503 (shutdown); the cycle keeps the state fresh until stop(). */
  setDraining(): void {
    this.#draining = true;
    this.#noteReadiness();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#recoveryTimer);
  }

  snapshot(): ReadinessSnapshot {
    const { store, pool } = this.#opts;
    const active = store.active;
    const lastCheck = store.lastCheck;
    return {
      ready: !this.#draining && this.#database.reachable,
      draining: this.#draining,
      database: this.#database,
      credentials: {
        versionId: active.versionId,
        stage: active.stage,
        username: active.credentials.username,
        fetchedAt: new Date(active.fetchedAt).toISOString(),
        ageSeconds: Math.round((Date.now() - active.fetchedAt) / 1000),
        lastCheckAt: lastCheck ? new Date(lastCheck.at).toISOString() : null,
        ...(lastCheck?.error !== undefined && { lastCheckError: lastCheck.error }),
      },
      pool: pool.stats(),
    };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        void this.runOnce().finally(() => {
          this.#schedule();
        });
      },
      jittered(this.#opts.intervalSeconds * 1000, INTERVAL_JITTER),
    );
    this.#timer.unref();
  }

  async #cycle(): Promise<CycleResult> {
    const { store, pool } = this.#opts;
    const credentials = await store.checkForNewVersion();
    // A swap that could not warm last time (or a change adopted elsewhere) is retried here.
    await pool.ensureCurrent();
    return { credentials, databaseReachable: await this.#probe() };
  }

  /** One database probe at a time; updates readiness and, when unreachable, schedules the next. */
  #probe(): Promise<boolean> {
    this.#probing ??= this.#probeOnce().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #probeOnce(): Promise<boolean> {
    const { pool, logger } = this.#opts;
    const checkedAt = new Date().toISOString();
    try {
      await pTimeout(
        pool.read((q) => q.query('SELECT 1')),
        {
          milliseconds: this.#opts.probeTimeoutMs,
          message: Object.assign(new Error('probe timed out'), { name: 'ProbeTimeout' }),
        },
      );
      if (this.#unreachableSince !== undefined) {
        logger.info({ unreachableMs: Date.now() - this.#unreachableSince }, 'database reachable');
      }
      this.#unreachableSince = undefined;
      this.#database = { reachable: true, checkedAt };
    } catch (err) {
      if (this.#unreachableSince === undefined) {
        this.#unreachableSince = Date.now();
        logger.error({ code: errorName(err) }, 'database unreachable; readiness is failing');
      }
      this.#database = { reachable: false, checkedAt, error: errorName(err) };
      this.#scheduleRecoveryProbe();
    }
    this.#noteReadiness();
    return this.#database.reachable;
  }

  #noteReadiness(): void {
    const ready = !this.#draining && this.#database.reachable;
    if (ready === this.#wasReady) return;
    this.#wasReady = ready;
    this.#opts.metrics?.readinessTransitions.inc({ to: ready ? 'ready' : 'unready' });
  }

  #scheduleRecoveryProbe(): void {
    if (this.#stopped || this.#recoveryTimer !== undefined) return;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      void this.#probe();
    }, this.#opts.recoveryProbeMs ?? RECOVERY_PROBE_MS);
    this.#recoveryTimer.unref();
  }
}
