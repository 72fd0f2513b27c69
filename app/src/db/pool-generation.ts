import { EventEmitter, once } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { DbCredentials } from '../credentials/secret-shape.js';
import type { Metrics } from '../metrics.js';
import { errorName } from '../util/error-name.js';
import { CapacityCeiling } from './capacity-ceiling.js';
import { isCapacityRefusal } from './pg-errors.js';

/** A pool's learned ceiling gives one connection back per this long without a capacity refusal. */
const CAPACITY_RELAX_MS = 5000;
/** An idle connection goes back to the server after this; short enough to shrink after a burst, long enough to reuse. */
const IDLE_TIMEOUT_MS = 30_000;
/** While the server is short of connections, idle ones go back to it this soon. */
const SCARCE_IDLE_TIMEOUT_MS = 1000;
/** A draining pool's queued waiters are served until the connect timeout plus this, then left to give up. */
const QUEUE_DRAIN_GRACE_MS = 1000;
/** Each connection lives between this fraction and all of maxLifetimeSeconds, so a burst does not expire as one. */
const MIN_LIFETIME_FRACTION = 0.8;
/** First TCP keepalive probe on an idle connection: a vanished peer is noticed within seconds, not hours. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** One pg pool, for one user: the rotating pool's active generation, or an old one draining. */
export interface Generation {
  pool: pg.Pool;
  generation: number;
  /** Who this pool connects as; a change of any of these needs a new pool. */
  identity: string;
  username: string;
  /** The newest password known for this pool's user; new connections read it. */
  password: string;
  ceiling: CapacityCeiling;
}

export interface PoolSwap {
  from: string;
  to: string;
  generation: number;
  warmed: number;
}

export interface GenerationsOptions {
  db: AppConfig['db'];
  ssl: false | ConnectionOptions;
  logger: Logger;
  metrics: Metrics;
  applicationName?: string | undefined;
  random?: (() => number) | undefined;
  /** Asked by every new physical connection of a generation, so a new password needs no new pool. */
  password: (generation: Generation) => Promise<string>;
}

export interface GenerationEvents {
  swap: [PoolSwap];
  /** An old pool finished: every checked-out client came back and its connections closed. */
  drained: [{ generation: number; username: string }];
}

export const identityOf = (c: DbCredentials): string => `${c.username}@${c.host}:${c.port}/${c.dbname}`;

/** On a pool client: when it was last handed out (ms since the epoch), 0 once it came back. */
const CHECKED_OUT_AT = Symbol('checkedOutAt');
type PooledClient = pg.PoolClient & { [CHECKED_OUT_AT]?: number };

/** Marks a client handed out by a generation's pool; `checkedIn` marks it back. */
export function checkedOut(client: pg.PoolClient): pg.PoolClient {
  (client as PooledClient)[CHECKED_OUT_AT] = Date.now();
  return client;
}

export function checkedIn(client: pg.PoolClient): void {
  (client as PooledClient)[CHECKED_OUT_AT] = 0;
}

/**
 * The pools behind the rotating pool, one per user, and how one replaces another (make before
 * break): a new generation opens and verifies some connections beside the old one's load, takes
 * over, and the old one serves what was queued on it, then closes its connections as their work
 * ends. The two share one pool size of connections: each the old pool closes makes room for one on
 * the new (capacity-ceiling.ts).
 */
export class PoolGenerations extends EventEmitter<GenerationEvents> {
  readonly #opts: GenerationsOptions;
  #active: Generation;
  #count = 0;
  /** Old pools still closing their connections, and the promise each ends with. */
  readonly #draining = new Map<Generation, Promise<void>>();
  /** Every open connection of every generation: the stall scan looks at their checkouts. */
  readonly #clients = new Set<PooledClient>();
  #ending: Promise<void> | undefined;

  constructor(options: GenerationsOptions, credentials: DbCredentials) {
    super();
    this.#opts = options;
    this.#active = this.#create(credentials);
  }

  get active(): Generation {
    return this.#active;
  }

  /**
   * Builds a pool for `credentials`, warms a quarter of what the active one has in use, rounded
   * down (at least one, verified), and swaps it in. Undefined when it could not be warmed at all:
   * the active pool keeps serving, and the next cycle tries again.
   */
  async handOver(credentials: DbCredentials): Promise<PoolSwap | undefined> {
    const old = this.#active;
    const startedAt = performance.now();
    const next = this.#create(credentials);
    const inUse = old.pool.totalCount - old.pool.idleCount;
    const warmCount = Math.max(1, Math.min(Math.floor(inUse / 4), this.#opts.db.poolMax));
    const warmed = await this.warm(next, warmCount);
    if (warmed < 0) {
      void next.pool.end();
      return undefined;
    }
    this.#active = next;
    this.#drain(old);
    const { metrics, logger } = this.#opts;
    metrics.poolSwaps.inc();
    metrics.poolSwapDuration.observe((performance.now() - startedAt) / 1000);
    const swap: PoolSwap = { from: old.username, to: next.username, generation: next.generation, warmed };
    logger.info(swap, 'database pool swapped; draining the old one');
    this.emit('swap', swap);
    return swap;
  }

  /** Drains the active pool too, and resolves once every generation has closed. */
  end(): Promise<void> {
    if (!this.#ending) {
      this.#drain(this.#active);
      this.#ending = Promise.all(this.#draining.values()).then(() => undefined);
    }
    return this.#ending;
  }

  /** When the longest-held checkout of any generation was handed out (`now` when none is out). */
  oldestCheckout(now: number): number {
    let oldest = now;
    for (const client of this.#clients) {
      const since = client[CHECKED_OUT_AT];
      if (since) oldest = Math.min(oldest, since);
    }
    return oldest;
  }

  /** Logs in with `credentials` on a connection of its own and runs one statement; rejects if refused. */
  async logIn(credentials: DbCredentials): Promise<void> {
    const client = new pg.Client(this.#clientConfig(credentials, credentials.password));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Open and verify `count` connections on the new pool before it takes traffic; how many it could.
   * Capacity refusals (the server or the role is at its connection limit) leave it warmed to what
   * the server allows: the swap goes ahead and the old pool's connections come back to the server as
   * it drains. -1 when the new credentials cannot be used at all (the old pool keeps serving).
   */
  async warm(next: Generation, count: number): Promise<number> {
    const attempts = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const client = await next.pool.connect();
        try {
          await client.query('SELECT 1');
        } finally {
          client.release();
        }
      }),
    );
    const warmed = attempts.filter((a) => a.status === 'fulfilled').length;
    const failures = attempts
      .filter((a): a is PromiseRejectedResult => a.status === 'rejected')
      .map((a) => a.reason as unknown);
    if (failures.length === 0) return warmed;
    const { logger, metrics } = this.#opts;
    if (failures.every(isCapacityRefusal)) {
      const ceiling = next.ceiling.refused(Date.now());
      metrics.connectionRefusals.inc({ reason: 'capacity' }, failures.length);
      logger.warn(
        { username: next.username, warmed, wanted: count, ceiling },
        'database connection limit reached while warming; swapping with what the server allows',
      );
      return warmed;
    }
    if (warmed > 0) return warmed;
    logger.error(
      { username: next.username, code: errorName(failures[0]) },
      'new pool could not be warmed; keeping the current pool',
    );
    return -1;
  }

  #drain(generation: Generation): void {
    // Each connection the old pool closes makes room for one on the active pool (capacity-ceiling.ts).
    const makeRoom = () => {
      this.#active.ceiling.apply();
    };
    generation.pool.on('remove', makeRoom);
    const drained = this.#serveQueued(generation.pool)
      .then(() => generation.pool.end())
      .catch((err: unknown) => {
        this.#opts.logger.warn({ code: errorName(err) }, 'error while draining a pool');
      })
      .then(() => {
        const event = { generation: generation.generation, username: generation.username };
        this.#draining.delete(generation);
        makeRoom();
        this.#opts.logger.info(event, 'pool drained');
        this.emit('drained', event);
      });
    this.#draining.set(generation, drained);
    makeRoom();
  }

  /** Connections held by the pools being drained, other than `generation`'s own. */
  #heldByOthers(generation: Generation): number {
    let held = 0;
    for (const g of this.#draining.keys()) if (g !== generation) held += g.pool.totalCount;
    return held;
  }

  /**
   * Requests already queued on a pool are handed its connections as they come back. pg-pool's end()
   * would strand them until connectionTimeoutMillis, so end() waits until the queue is empty (each
   * waiter is served, or gives up at that same timeout).
   */
  async #serveQueued(pool: pg.Pool): Promise<void> {
    const signal = AbortSignal.timeout(this.#opts.db.connectTimeoutMs + QUEUE_DRAIN_GRACE_MS);
    while (pool.waitingCount > 0 && !signal.aborted) {
      await once(pool, 'acquire', { signal }).catch(() => undefined);
    }
  }

  #create(credentials: DbCredentials): Generation {
    const { db, logger } = this.#opts;
    const generation = {
      generation: ++this.#count,
      identity: identityOf(credentials),
      username: credentials.username,
      password: credentials.password,
    } as Generation;
    const lifetime = db.maxLifetimeSeconds;
    const random = this.#opts.random ?? Math.random;
    const pool = new pg.Pool({
      ...this.#clientConfig(credentials, () => this.#opts.password(generation)),
      max: db.poolMax,
      maxLifetimeSeconds: lifetime,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      // Connections opened together (after a failover, a mass disconnect, a pool swap) would all
      // expire together and reconnect as one burst: each gets a lifetime between 80 % and 100 % of
      // the setting. pg-pool reads the setting right after this hook, for the connection just made.
      onConnect: () => {
        pool.options.maxLifetimeSeconds =
          lifetime * (MIN_LIFETIME_FRACTION + (1 - MIN_LIFETIME_FRACTION) * random());
      },
    });
    generation.pool = pool;
    generation.ceiling = new CapacityCeiling(pool, {
      configured: db.poolMax,
      relaxMs: CAPACITY_RELAX_MS,
      idleMs: IDLE_TIMEOUT_MS,
      scarceIdleMs: SCARCE_IDLE_TIMEOUT_MS,
      heldElsewhere: () => this.#heldByOthers(generation),
    });
    pool.on('error', (err) => {
      logger.warn({ code: errorName(err), generation: generation.generation }, 'idle connection lost');
    });
    // pg-pool listens for a client's 'error' only while the client is idle. A checked-out client
    // whose backend ends between statements emits 'error' too, and unhandled that ends the process:
    // one listener for the life of each connection instead of one per checkout.
    pool.on('connect', (client: PooledClient) => {
      this.#clients.add(client);
      client.on('error', (err) => {
        if (!client[CHECKED_OUT_AT]) return; // idle: the pool's 'error' above says so
        logger.warn(
          { code: errorName(err), generation: generation.generation },
          'checked-out connection lost',
        );
      });
    });
    pool.on('remove', (client) => {
      this.#clients.delete(client);
    });
    return generation;
  }

  #clientConfig(credentials: DbCredentials, password: string | (() => Promise<string>)): pg.PoolConfig {
    const { db, ssl, applicationName } = this.#opts;
    return {
      host: credentials.host,
      port: credentials.port,
      database: credentials.dbname,
      user: credentials.username,
      password,
      ssl,
      connectionTimeoutMillis: db.connectTimeoutMs,
      // A server that stops answering costs a statement at most this; the connection is then discarded.
      query_timeout: db.queryTimeoutMs,
      // A peer that vanished (failover, network cut) is noticed on idle connections too.
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      application_name: applicationName ?? 'orders-api',
      options: `-c search_path=${db.schema}`,
    };
  }
}
