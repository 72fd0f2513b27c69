import type { Logger } from 'pino';
import type { ActiveCredentials, CredentialStore } from '../credentials/credential-store.js';
import type { DbCredentials } from '../credentials/secret-shape.js';
import { AWSPENDING, AWSPREVIOUS } from '../credentials/stages.js';
import type { Metrics } from '../metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { errorName } from '../util/error-name.js';
import { sleep } from '../util/sleep.js';
import { DatabaseUnavailableError } from './database.js';
import { SingleFlight } from '../util/single-flight.js';
import { identityOf } from './pool-generation.js';

/** Between connection attempts after a refused login: quick at first (the new password may be a moment away), bounded. */
const AUTH_RETRY_BACKOFF = { baseMs: 100, maxMs: 2000 };
/** Recoveries (up to three Secrets Manager calls each) for one rejected version are this far apart at least. */
const RECOVERY_MIN_INTERVAL_MS = 1000;
/** Refused versions remembered (one per rotation at most); the set starts again past this. */
const REFUSED_MEMORY = 64;

export interface AuthRecoveryOptions {
  store: Pick<CredentialStore, 'active' | 'readAhead' | 'refreshAfterAuthFailure' | 'candidate' | 'adopt'>;
  metrics: Metrics;
  logger: Logger;
  /** Logs in with a candidate on a connection of its own, outside any pool; rejects if refused. */
  logIn: (credentials: DbCredentials) => Promise<void>;
  /** Called after a version is adopted, so the pool follows it (a new user builds a new pool). */
  follow: () => Promise<void>;
  now?: () => number;
  random?: (() => number) | undefined;
}

/** A connection attempt the database refused for its credentials. */
export interface Refusal {
  versionId: string;
  username: string;
  /** 0 for the first attempt of this checkout. */
  attempt: number;
  /** When the checkout stops retrying (ms since the epoch). */
  giveUpAt: number;
}

/**
 * What happens when the database refuses the password in use: one shared recovery per refused
 * version, trying in turn the AWSPENDING read ahead by the health cycle, a fresh AWSCURRENT, then
 * AWSPENDING and AWSPREVIOUS. A candidate is adopted once credible:
 * - AWSPENDING naming the same user as the refused version is the single-user window itself, and is
 *   adopted at once (unless the database has refused that version before);
 * - any other candidate (another user, AWSPREVIOUS) must log in first.
 */
export class AuthRecovery {
  readonly #opts: AuthRecoveryOptions;
  readonly #now: () => number;
  readonly #flights = new SingleFlight();
  #last: { versionId: string; at: number } | undefined;
  /** Versions the database has refused, never trusted again without a login. */
  readonly #refused = new Set<string>();

  constructor(options: AuthRecoveryOptions) {
    this.#opts = options;
    this.#now = options.now ?? Date.now;
  }

  /** No recovery under way: a property read, for the checkout path. */
  get idle(): boolean {
    return this.#flights.idle;
  }

  /**
   * After a refused connection: recover (shared with every caller refused the same version), then
   * throw once the checkout's time is up, or else back off before its next attempt when nothing is
   * left to try (no newer version, `moved` false, no candidate untried).
   */
  async afterRefusal(err: unknown, refusal: Refusal, moved: () => boolean): Promise<void> {
    const { metrics, logger } = this.#opts;
    const { versionId, username, attempt, giveUpAt } = refusal;
    metrics.authFailureRetries.inc();
    logger.warn(
      { code: (err as { code?: string }).code, username, versionId, attempt },
      'database rejected the credentials; refreshing',
    );
    const triedCandidate = await this.recover(versionId);
    if (this.#now() >= giveUpAt) {
      metrics.authFailureRecoveries.inc({ outcome: 'exhausted' });
      metrics.connectionAcquireFailures.inc({ reason: 'auth' });
      throw new DatabaseUnavailableError('database credentials rejected and no usable version found', {
        cause: err,
      });
    }
    if (!moved() && !triedCandidate)
      await sleep(backoffDelay(attempt, AUTH_RETRY_BACKOFF, this.#opts.random));
  }

  /**
   * One recovery for every caller that hit the same refused version. True when it tried a candidate
   * (so retrying at once, without a backoff, is worthwhile).
   */
  recover(failedVersionId: string): Promise<boolean> {
    return this.#flights.run(flightKey(failedVersionId), async () => {
      // While nothing works, retries keep failing: ask Secrets Manager at most once per interval.
      const last = this.#last;
      if (last?.versionId === failedVersionId && this.#now() - last.at < RECOVERY_MIN_INTERVAL_MS)
        return false;
      this.#last = { versionId: failedVersionId, at: this.#now() };
      if (this.#refused.size >= REFUSED_MEMORY) this.#refused.clear();
      this.#refused.add(failedVersionId);
      const triedCandidate = await this.#findWorkingVersion(failedVersionId);
      const recovered = this.#opts.store.active.versionId !== failedVersionId;
      this.#opts.metrics.authFailureRecoveries.inc({ outcome: recovered ? 'recovered' : 'retry' });
      return triedCandidate;
    });
  }

  /**
   * Resolves once no recovery of the version in use is under way (at once when none is): a new
   * connection made with that version's password meanwhile would be refused too.
   */
  async settled(): Promise<void> {
    const recovering = this.#flights.pending(flightKey(this.#opts.store.active.versionId));
    if (recovering) await recovering.catch(() => undefined);
  }

  async #findWorkingVersion(failedVersionId: string): Promise<boolean> {
    const { store } = this.#opts;
    // A rotation the health cycle saw under way: its AWSPENDING version is already read, so a
    // single-user window costs no Secrets Manager call and no backoff.
    const held = store.readAhead;
    if (held && held.versionId !== failedVersionId && (await this.#tryCandidate(held))) return true;
    const outcome = await store.refreshAfterAuthFailure(failedVersionId);
    if (outcome === 'changed') {
      await this.#opts.follow();
      return true;
    }
    if (outcome !== 'unchanged') return held !== undefined; // Secrets Manager unreachable: cached values only
    // AWSCURRENT is what failed. A single-user rotation between setSecret and finishSecret has
    // already given the database the AWSPENDING password; a rolled-back one may leave AWSPREVIOUS.
    let tried = held !== undefined;
    for (const stage of [AWSPENDING, AWSPREVIOUS] as const) {
      const candidate = await store.candidate(stage);
      if (!candidate || candidate.versionId === failedVersionId || candidate.versionId === held?.versionId)
        continue;
      tried = true;
      if (await this.#tryCandidate(candidate)) return true;
    }
    return tried;
  }

  async #tryCandidate(candidate: ActiveCredentials): Promise<boolean> {
    const { store } = this.#opts;
    const trusted =
      candidate.stage === AWSPENDING &&
      identityOf(candidate.credentials) === identityOf(store.active.credentials) &&
      !this.#refused.has(candidate.versionId);
    if (!trusted && !(await this.#logsIn(candidate))) return false;
    store.adopt(candidate, `auth-fallback-${candidate.stage}`);
    await this.#opts.follow();
    return true;
  }

  async #logsIn(candidate: ActiveCredentials): Promise<boolean> {
    try {
      await this.#opts.logIn(candidate.credentials);
      return true;
    } catch (err) {
      // The error's name only: a driver's message may quote what it was given.
      this.#opts.logger.info(
        { stage: candidate.stage, versionId: candidate.versionId, code: errorName(err) },
        'fallback credentials did not log in',
      );
      return false;
    }
  }
}

const flightKey = (versionId: string) => `auth:${versionId}`;
