/**
 * `npm run stack`: embedded PostgreSQL + the local Secrets Manager endpoint + the database
 * bootstrap, running until SIGINT/SIGTERM.
 *
 *   npm run stack -- [--pg-port 5432] [--sm-port 4566] [--env-out .local/stack.env] [--log-statements]
 *                    [--strategy alternating-users|single-user]
 *
 * `--env-file` is accepted as another spelling of `--env-out`, but Node (20 to 26) inspects every
 * `--env-file` on its command line, even after the script name, and refuses to start when that
 * file does not exist yet; `--env-out` avoids that.
 *
 * The rotator is registered as the endpoint's rotation function (`--strategy`, default
 * alternating-users), so `aws secretsmanager rotate-secret --secret-id $DB_SECRET_ID` (or
 * `npm run rotate`) rotates the PostgreSQL role for real; each rotation prints one line.
 *
 * Writes the app's environment (no passwords) to the env file and prints a line containing
 * `stack ready` once everything is up. On SIGINT/SIGTERM it stops everything, removes the
 * temporary data and the env file, and exits 0; a second Ctrl-C stops PostgreSQL at once (exit 1).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { STRATEGIES, type RotationStrategy, createLogger } from '../rotation/public.js';
import { formatEnvFile, type EmbeddedStack } from './embedded-stack.js';
import { startFleet } from './fleet.js';
import { onInterrupt } from './interrupts.js';
import { stopGroupsNow } from './own-group.js';

function parsePort(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    console.error(`--${name} must be a port number from 1 to 65535, got "${value}"`);
    process.exit(2);
  }
  return port;
}

const { values } = parseArgs({
  options: {
    'pg-port': { type: 'string' },
    'sm-port': { type: 'string' },
    'env-out': { type: 'string' },
    'env-file': { type: 'string' },
    'log-statements': { type: 'boolean', default: false },
    strategy: { type: 'string', default: 'alternating-users' },
  },
  strict: true,
});
if (!(STRATEGIES as readonly string[]).includes(values.strategy)) {
  console.error(`--strategy must be one of ${STRATEGIES.join(', ')}, got "${values.strategy}"`);
  process.exit(2);
}
const strategy = values.strategy as RotationStrategy;
const pgPort = parsePort('pg-port', values['pg-port']);
const smPort = parsePort('sm-port', values['sm-port']);
const envFile = resolve(values['env-out'] ?? values['env-file'] ?? '.local/stack.env');

let stack: EmbeddedStack | undefined;
let stopping: Promise<void> | undefined;
// An object: the signal handler sets it while startup awaits, which narrowing cannot see.
const requested = { stop: false };

async function shutdown(exitCode: number): Promise<void> {
  try {
    if (stack) {
      await stack.stop();
      await rm(envFile, { force: true });
    }
    console.log('stack stopped');
  } catch (err) {
    console.error('stack did not stop cleanly:', err instanceof Error ? err.message : err);
    exitCode = exitCode || 1;
  }
  process.exitCode = exitCode;
}

// Ctrl-C is this command's normal end (exit 0); a second one stops PostgreSQL at once.
onInterrupt({
  stop(reason) {
    requested.stop = true;
    console.log(`${reason}: stopping`);
    // While starting, startup notices the flag and stops once it is done.
    if (stack) stopping ??= shutdown(0);
  },
  stopNow(reason) {
    console.error(`${reason}: stopping at once, without waiting for cleanup`);
    stopGroupsNow();
    process.exit(1);
  },
});

try {
  // The fleet with no tasks: the app runs wherever the user starts it, with the env file.
  const { stack: started } = await startFleet({
    stack: {
      ...(pgPort !== undefined && { pgPort }),
      ...(smPort !== undefined && { smPort }),
      logStatements: values['log-statements'],
      // The rotation function's own log: warnings and errors only (JSON lines, never a secret).
      rotation: {
        strategy,
        functionLogger: createLogger({
          level: 'warn',
          write: (line) => {
            console.error(line);
          },
        }),
      },
      log: (line) => {
        console.log(line);
      },
    },
  });
  try {
    await mkdir(dirname(envFile), { recursive: true });
    const temporary = `${envFile}.${process.pid}.tmp`;
    await writeFile(
      temporary,
      formatEnvFile(
        // awscli v1 reads AWS_DEFAULT_REGION, not AWS_REGION (`aws secretsmanager rotate-secret` after sourcing this file).
        { ...started.env, AWS_DEFAULT_REGION: started.secretsManager.region },
        'Local stack environment for the app (npm run stack). No passwords: they live in the secrets.',
      ),
    );
    await rename(temporary, envFile);
  } catch (err) {
    await started.stop();
    throw err;
  }
  stack = started;
} catch (err) {
  console.error('stack failed to start:', err instanceof Error ? err.message : err);
  process.exitCode = 1;
}

if (stack) {
  if (requested.stop) {
    stopping ??= shutdown(0);
  } else {
    const { postgres, secretsManager } = stack;
    console.log(
      `stack ready: secrets manager ${secretsManager.url}, postgres ${postgres.host}:${postgres.port} ` +
        `(data ${postgres.baseDir}), env file ${envFile}`,
    );
  }
}
