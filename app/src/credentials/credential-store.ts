import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SecretScrubber } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.js';
import { SingleFlight } from '../util/single-flight.js';
import {
  parseSecret,
  SecretFormatError,
  type ConnectionFallback,
  type DbCredentials,
  type ParsedSecret,
} from './secret-shape.js';
import { errorName } from '../util/error-name.js';
import { sleep } from '../util/sleep.js';
import type { SecretSource, SecretVersion, StageMap } from './secret-source.js';
import { AWSCURRENT, AWSPENDING, type VersionStage } from './stages.js';

/** Between failed Secrets Manager reads: 1 s, doubling, at most a minute. */
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000 };
/** Startup keeps retrying Secrets Manager this long (an endpoint still starting, a throttled burst), then fails. */
const STARTUP_DEADLINE_MS = 30_000;

/** The one cache entry: the credentials in use and the secret version they came from. */

export interface ActiveCredentials {
  versionId: string;
  /** The stage the version held when it was adopted (AWSPENDING while a single-user rotation is half done). */
  stage: VersionStage;
  credentials: DbCredentials;
  sources: ParsedSecret['sources'];
  fetchedAt: number;
}

export type CheckOutcome = 'unchanged' | 'changed' | 'rejected' | 'error' | 'backing-off';

export interface CredentialStoreOptions {
  source: Pick<SecretSource, 'getByStage' | 'stages'>;
  fallback: ConnectionFallback;
  logger: Logger;
  metrics: Metrics;
  scrubber: SecretScrubber;
  /** Backoff after Secrets Manager errors; calls inside the window are not made (stale-on-error). */
  backoff?: BackoffPolicy;
  now?: () => number;
  random?: () => number;
}

interface StoreEvents {
  change: [next: ActiveCredentials, previous: ActiveCredentials];
}

/**
 * Holds the credentials in use, refreshes them single-flight, and keeps serving the cached value
 * while Secrets Manager misbehaves. It never talks to the database; the pool decides whether a
 * candidate version actually logs in.
 */
export class CredentialStore extends EventEmitter<StoreEvents> {
  readonly #opts: Required<Omit<CredentialStoreOptions, 'backoff'>> & { backoff: BackoffPolicy };
  readonly #flights = new SingleFlight();
  /** Versions that failed to parse: reported once, never adopted, not fetched again. */
  readonly #rejected = new Set<string>();
  #active: ActiveCredentials | undefined;
  #readAhead: ActiveCredentials | undefined;
  #consecutiveFailures = 0;
  #retryAt = 0;
  #lastCheck: { at: number; error?: string } | undefined;

  constructor(options: CredentialStoreOptions) {
    super();
    this.#opts = {
      now: Date.now,
      random: Math.random,
      backoff: DEFAULT_BACKOFF,
      ...options,
    };
  }

  get active(): ActiveCredentials {
    if (!this.#active) throw new Error('credentials not loaded yet');
    return this.#active;
  }

  /**
   * The AWSPENDING version of a rotation under way, read when the health cycle first saw it: a
   * candidate the pool adopts the moment the database refuses the version in use (the sign of the
   * single-user window), never before.
   */
  get readAhead(): ActiveCredentials | undefined {
    return this.#readAhead;
  }

  get lastCheck(): { at: number; error?: string } | undefined {
    return this.#lastCheck;
  }

  /** Startup: AWSCURRENT must load and parse. Secrets Manager errors are retried until `deadlineMs`. */
  async load(deadlineMs = STARTUP_DEADLINE_MS): Promise<ActiveCredentials> {
    const giveUpAt = this.#opts.now() + deadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const version = await this.#opts.source.getByStage(AWSCURRENT);
        if (!version) throw new Error('secret has no AWSCURRENT version');
        const parsed = this.#parse(version); // a malformed secret at startup is fatal: nothing to fall back on
        const active = this.#toActive(version, AWSCURRENT, parsed);
        this.#use(active);
        this.#opts.logger.info(
          { versionId: active.versionId, username: active.credentials.username, sources: active.sources },
          'database credentials loaded (host/port/dbname sources: secret, env or default)',
        );
        this.#recordSuccess();
        return active;
      } catch (err) {
        if (err instanceof SecretFormatError || this.#opts.now() >= giveUpAt) throw err;
        const wait = backoffDelay(attempt, this.#opts.backoff, this.#opts.random);
        this.#opts.logger.warn(
          { err: errorName(err), retryInMs: Math.round(wait) },
          'secret not readable yet; retrying',
        );
        await sleep(wait);
      }
    }
  }

  /**
   * The health-check cycle's question: did AWSCURRENT move? One DescribeSecret; the secret value is
   * fetched only when the version changed. Never throws.
   */
  checkForNewVersion(): Promise<CheckOutcome> {
    return this.#flights.run('check', async () => {
      if (this.#inBackoff()) return 'backing-off';
      let stages;
      try {
        stages = await this.#opts.source.stages();
      } catch (err) {
        this.#recordFailure(err, 'check');
        return 'error';
      }
      this.#recordSuccess();
      const outcome = await this.#followCurrent(stages);
      await this.#readAheadPending(stages);
      return outcome;
    });
  }

  async #followCurrent(stages: StageMap): Promise<CheckOutcome> {
    const current = stages.AWSCURRENT;
    const active = this.active;
    if (!current) return 'unchanged';
    if (current === active.versionId) {
      // A single-user rotation we were already running on has finished.
      if (active.stage !== AWSCURRENT) this.#use({ ...active, stage: AWSCURRENT });
      return 'unchanged';
    }
    // Mid single-user rotation we run on AWSPENDING because the old password no longer works.
    if (active.stage === AWSPENDING && stages.AWSPENDING === active.versionId) return 'unchanged';
    if (this.#rejected.has(current)) return 'rejected';
    return this.#adoptStage(AWSCURRENT, 'refresh-cycle');
  }

  /**
   * A rotation is under way (a version holds AWSPENDING): read that version once, now, so that the
   * single-user window (the database already on the new password, AWSCURRENT still the old one)
   * costs the pool no Secrets Manager call and no backoff.
   */
  async #readAheadPending(stages: StageMap): Promise<void> {
    const pending = stages.AWSPENDING;
    if (pending === undefined || pending === stages.AWSCURRENT || pending === this.active.versionId) {
      this.#readAhead = undefined;
      return;
    }
    if (this.#readAhead?.versionId === pending || this.#rejected.has(pending)) return;
    this.#readAhead = await this.candidate(AWSPENDING);
  }

  /**
   * The database rejected `failedVersionId`. Re-read AWSCURRENT once for all callers; adopt it if it
   * is a version we do not hold. 'unchanged' tells the caller to try AWSPENDING and AWSPREVIOUS.
   */
  refreshAfterAuthFailure(failedVersionId: string): Promise<CheckOutcome> {
    return this.#flights.run('auth', async () => {
      if (this.active.versionId !== failedVersionId) return 'changed'; // someone already moved on
      if (this.#inBackoff()) return 'backing-off';
      return this.#adoptStage(AWSCURRENT, 'auth-failure', failedVersionId);
    });
  }

  /** A version to try without adopting it (AWSPENDING / AWSPREVIOUS fallbacks). */
  candidate(stage: VersionStage): Promise<ActiveCredentials | undefined> {
    return this.#flights.run(`candidate:${stage}`, async () => {
      if (this.#inBackoff()) return undefined;
      let version: SecretVersion | undefined;
      try {
        version = await this.#opts.source.getByStage(stage);
      } catch (err) {
        this.#recordFailure(err, `candidate ${stage}`);
        return undefined;
      }
      this.#recordSuccess();
      if (!version || this.#rejected.has(version.versionId)) return undefined;
      try {
        return this.#toActive(version, stage, this.#parse(version));
      } catch (err) {
        this.#reject(version.versionId, stage, err);
        return undefined;
      }
    });
  }

  /** Make a candidate the credentials in use (the pool proved it logs in). */
  adopt(next: ActiveCredentials, reason: string): void {
    const previous = this.active;
    this.#use(next);
    this.#opts.metrics.credentialRefreshes.inc({ reason, outcome: 'adopted' });
    this.#opts.metrics.credentialAdoptions.inc({ stage: next.stage });
    this.#opts.logger.info(
      {
        reason,
        versionId: next.versionId,
        stage: next.stage,
        username: next.credentials.username,
        previousVersionId: previous.versionId,
        previousUsername: previous.credentials.username,
      },
      'database credentials adopted',
    );
    this.emit('change', next, previous);
  }

  async #adoptStage(stage: VersionStage, reason: string, unlessVersion?: string): Promise<CheckOutcome> {
    let version: SecretVersion | undefined;
    try {
      version = await this.#opts.source.getByStage(stage);
    } catch (err) {
      this.#recordFailure(err, reason);
      this.#opts.metrics.credentialRefreshes.inc({ reason, outcome: 'error' });
      return 'error';
    }
    this.#recordSuccess();
    if (!version || version.versionId === this.active.versionId || version.versionId === unlessVersion) {
      this.#opts.metrics.credentialRefreshes.inc({ reason, outcome: 'unchanged' });
      return 'unchanged';
    }
    if (this.#rejected.has(version.versionId)) return 'rejected';
    let parsed: ParsedSecret;
    try {
      parsed = this.#parse(version);
    } catch (err) {
      this.#reject(version.versionId, stage, err);
      this.#opts.metrics.credentialRefreshes.inc({ reason, outcome: 'rejected' });
      return 'rejected';
    }
    this.adopt(this.#toActive(version, stage, parsed), reason);
    return 'changed';
  }

  #use(active: ActiveCredentials): void {
    this.#active = active;
    this.#opts.metrics.credentialsOnPending.set(active.stage === AWSPENDING ? 1 : 0);
  }

  #parse(version: SecretVersion): ParsedSecret {
    const parsed = parseSecret(version.secretString, this.#opts.fallback);
    this.#opts.scrubber.add(parsed.credentials.password);
    return parsed;
  }

  #toActive(version: SecretVersion, stage: VersionStage, parsed: ParsedSecret): ActiveCredentials {
    return {
      versionId: version.versionId,
      stage,
      credentials: parsed.credentials,
      sources: parsed.sources,
      fetchedAt: this.#opts.now(),
    };
  }

  #reject(versionId: string, stage: VersionStage, err: unknown): void {
    this.#rejected.add(versionId);
    const problem = err instanceof SecretFormatError ? err.message : 'unreadable secret';
    const field = err instanceof SecretFormatError ? err.field : undefined;
    this.#opts.logger.error(
      { versionId, stage, field, keptVersionId: this.#active?.versionId },
      `secret version rejected, keeping the credentials in use: ${problem}`,
    );
  }

  #inBackoff(): boolean {
    return this.#opts.now() < this.#retryAt;
  }

  #recordSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#retryAt = 0;
    this.#lastCheck = { at: this.#opts.now() };
  }

  #recordFailure(err: unknown, during: string): void {
    const wait = backoffDelay(this.#consecutiveFailures, this.#opts.backoff, this.#opts.random);
    this.#consecutiveFailures++;
    this.#retryAt = this.#opts.now() + wait;
    this.#lastCheck = { at: this.#opts.now(), error: errorName(err) };
    this.#opts.logger.warn(
      { during, err: errorName(err), failures: this.#consecutiveFailures, nextAttemptInMs: Math.round(wait) },
      'Secrets Manager call failed; serving on cached credentials',
    );
  }
}
