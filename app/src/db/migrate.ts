import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';

/** app/migrations from source (app/src/db), dist/app/migrations from the build (dist/app/src/db). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** node-pg-migrate's bookkeeping table, kept in the app schema next to what it describes. */
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Only `*.sql` files are migrations; dotfiles and anything else in the directory are ignored. */
const IGNORE_PATTERN = String.raw`(?:\..*|(?!.*\.sql$).*)`;

export interface RunMigrationsOptions {
  /** Connected as the app's login role (a member of `ownerRole`). Left connected; the caller ends it. */
  client: pg.Client;
  /** The NOLOGIN role that owns the schema and every object in it. */
  ownerRole: string;
  schema: string;
  logger: Logger;
}

/**
 * Applies pending migrations and returns their names (empty when there was nothing to do).
 *
 * Everything runs as `ownerRole` (SET ROLE), so every table, sequence and index belongs to that role
 * whichever member login ran the migration; with alternating-user rotation, objects created while
 * `app_clone` was current are still usable by `app`, and the reverse.
 *
 * Safe when several processes start at once: node-pg-migrate holds a session-level advisory lock
 * for the whole run and is told to wait for it, so the others block, then find nothing left to do.
 * All pending migrations are applied in one transaction: either all of them or none.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<string[]> {
  const { client, ownerRole, schema } = options;
  const log = options.logger.child({ component: 'migrations' });

  await client.query(`SET ROLE ${client.escapeIdentifier(ownerRole)}`);
  try {
    await client.query(`SET search_path TO ${client.escapeIdentifier(schema)}`);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      ignorePattern: IGNORE_PATTERN,
      direction: 'up',
      schema,
      migrationsSchema: schema,
      migrationsTable: MIGRATIONS_TABLE,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (message) => {
          log.debug(message);
        },
        info: (message) => {
          log.info(message);
        },
        warn: (message) => {
          log.warn(message);
        },
        error: (message) => {
          log.error(message);
        },
      },
    });
    const names = applied.map((migration) => migration.name);
    log.info({ applied: names }, names.length > 0 ? 'migrations applied' : 'database schema is up to date');
    return names;
  } finally {
    // Hand the session back as it came; if the connection is gone there is nothing to reset.
    await client.query('RESET ROLE; RESET search_path').catch((error: unknown) => {
      log.debug({ err: error }, 'could not reset the session after migrating');
    });
  }
}
