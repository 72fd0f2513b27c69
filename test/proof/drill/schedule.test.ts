/**
 * A drill never fails the app for its own schedule: a --duration too short for the rotations, the
 * refresh interval and the fault is refused up front (exit 2), naming the minimum.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createFault, FAULT_NAMES } from '../../../proof/drill/faults/index.js';
import { parseDrillArgs, UsageError } from '../../../proof/drill/options.js';
import { assertScheduleFits } from '../../../proof/drill/schedule.js';

const fits = (args: string[]) => {
  const options = parseDrillArgs(args, {});
  assertScheduleFits(options, options.fault === undefined ? undefined : createFault(options.fault));
};

describe('drill schedule', () => {
  it.each(['sm-outage', 'bad-secret', 'single-user-window'])(
    'refuses --fault %s at 30 s with the default rotations and refresh, naming the minimum',
    (fault) => {
      expect(() => {
        fits(['--fault', fault, '--duration', '30', '--rate', '120']);
      }).toThrow(UsageError);
      expect(() => {
        fits(['--fault', fault, '--duration', '30', '--rate', '120']);
      }).toThrow(/need at least --duration \d+/);
    },
  );

  it.each(FAULT_NAMES)('accepts --fault %s at the defaults (60 s, 3 rotations, refresh 5 s)', (fault) => {
    expect(() => {
      fits(['--fault', fault]);
    }).not.toThrow();
  });

  it('the minimum it names is the shortest duration it accepts', () => {
    const message = (() => {
      try {
        fits(['--fault', 'bad-secret', '--duration', '30']);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    const minimum = Number(/--duration (\d+)$/.exec(message)?.[1]);
    expect(minimum).toBeGreaterThan(30);
    expect(() => {
      fits(['--fault', 'bad-secret', '--duration', String(minimum)]);
    }).not.toThrow();
    expect(() => {
      fits(['--fault', 'bad-secret', '--duration', String(minimum - 1)]);
    }).toThrow(UsageError);
  });

  it('a plain drill needs its rotations one health cycle apart', () => {
    expect(() => {
      fits(['--rotations', '3', '--duration', '20']);
    }).toThrow(/need at least --duration 33/);
    expect(() => {
      fits(['--rotations', '3', '--duration', '20', '--refresh-seconds', '1']);
    }).not.toThrow();
  });

  it('npm run drill exits 2 before starting anything', () => {
    const main = fileURLToPath(new URL('../../../proof/drill/main.ts', import.meta.url));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', main, '--fault', 'single-user-window', '--duration', '30', '--rate', '120'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--duration 30 is too short: 3 rotations with --fault single-user-window/);
    expect(run.stdout).not.toMatch(/embedded PostgreSQL|load:/);
  });
});
