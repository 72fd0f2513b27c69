/** `npm run bench -- …` options, validated; every bad value is named. */
import { parseArgs } from 'node:util';
import { STRATEGIES, type RotationStrategy } from '../../rotation/public.js';
import { UsageError } from '../cli/index.js';
import { VARIANT_NAMES, type VariantName } from './variants.js';

export interface BenchOptions {
  quick: boolean;
  out: string;
  variants: VariantName[];
  strategies: RotationStrategy[];
  seed: number;
  /** Rotations-off trials per variant, each in a fresh process, interleaved across variants. */
  trials: number;
  /** The common rate: CPU per request, p50/p99 and the rotation runs, the same for every variant. */
  rate: number;
  /** Requests in flight in the saturation run (closed model). */
  concurrency: number;
  /** Open-model load at the common rate before anything is measured in a trial. */
  warmupSeconds: number;
  saturationWarmupSeconds: number;
  saturationSeconds: number;
  restMs: number;
  commonSeconds: number;
  /** Side by side (paired-cost.ts): rounds (fresh processes each), windows per round, seconds each, rate per process, warm-up. 0 rounds: skipped. */
  sideBySideRounds: number;
  sideBySideWindows: number;
  sideBySideSeconds: number;
  sideBySideRate: number;
  sideBySideWarmupSeconds: number;
  /** Rotations per strategy under heavy load (heavy-rotations.ts); 0: skipped. */
  heavyRotations: number;
  /** Alternating-users rotations of the heap guard (heap-guard.ts); 0: skipped. */
  heapRotations: number;
  rotations: number;
  /** Seconds between two rotations, and after the last one (rotationSchedule). */
  rotationSpacingSeconds: number;
  /** When the first rotation starts, in seconds from the start of the load. */
  rotationLeadSeconds: number;
  /** Length of a rotation run: lead + rotations × spacing (derived). */
  rotationSeconds: number;
  refreshSeconds: number;
  /** DB_POOL_MAX_LIFETIME_SECONDS of the rotation runs. */
  maxLifetimeSeconds: number;
  /**
   * DB_POOL_MAX_LIFETIME_SECONDS of the trials: the app's default, longer than any trial, so CPU per
   * request is what a request costs, not when a 10 s lifetime happened to expire in the window.
   */
  trialMaxLifetimeSeconds: number;
  /** The throughput target (this app ≥ 0.97 × baseline) also decides the exit code. */
  strict: boolean;
  /** Regenerate this Markdown file from the report. */
  docs: string | undefined;
  /** No run: regenerate the docs from this report. */
  from: string | undefined;
  /** Write a CPU profile of every app process here (node --cpu-prof). */
  cpuProf: string | undefined;
  /** Everything is stopped and the bench fails (exit 3) after this long. */
  maxMinutes: number;
  quiet: boolean;
}

export { UsageError } from '../cli/index.js';

/** The app's default health-check interval, which the side-by-side processes run with (paired-cost.ts). */
export const SIDE_BY_SIDE_REFRESH_SECONDS = 30;

export const DEFAULT_DOCS = 'docs/benchmarks.md';

export const USAGE = `npm run bench -- [options]
  --quick                    the short CI version (2 trials of a few seconds; about 2 minutes)
  --variants <list>          of ${VARIANT_NAMES.join(', ')} (default all)
  --strategies <list>        rotation runs: ${STRATEGIES.join(', ')}, or none (default both)
  --trials <n>               rotations-off trials per variant, interleaved, each a fresh process (5; quick 2)
  --rate <req/s>             the common rate: CPU per request, p50/p99 and the rotation runs (default 200)
  --concurrency <n>          requests in flight in the saturation run (default 20: twice the pool)
  --seed <n>                 request mix seed (default 1; round k uses seed + k)
  --out <dir>                report directory (default reports/)
  --write-docs [--docs <file>]  also rewrite the results block of ${DEFAULT_DOCS} (or of <file>, a page
                             with the same markers) from the report; the prose around it is kept
  --from <report.json>       no run: only rewrite that block from that report (implies --write-docs)
  --strict                   the cost targets (throughput and CPU per request) also decide the exit code
  side by side: baseline, this app and naive at once, each at --side-by-side-rate <req/s> (120), CPU read
             over the same --side-by-side-seconds <s> (7.5; quick 3) in each of --side-by-side-windows <n>
             (4; quick 2) per round, after 32 s of warm-up (past the first health cycle; quick 2 s);
             --side-by-side-rounds <n> (6; quick 1; 0 skips it), each with fresh processes
  heavy load: --heavy-rotations <n> per strategy (3; quick 1; 0 skips it), this app alone at 70 % of its
             saturation in this run's trials
  heap guard: --heap-rotations <n> (20; 0 skips it) alternating-users pool swaps at 40 req/s, heap after GC
  --cpu-prof <dir>           CPU profiles (node --cpu-prof) of each variant's first trial, in <dir>/<variant>/
  trial:     --warmup-seconds <s> (1.5; quick 0.5)  --saturation-seconds <s> (3; quick 1.5, after 1 s; quick 0.5 s)
             --common-seconds <s> (4; quick 1.5)  --rest-ms <ms> (500; quick 250)
  rotations: --rotations <n> per run (2; quick 1), the first 3 s into the run (quick 1.5 s), then one every
             --rotation-spacing-seconds <s>, which also follow the last one (max lifetime + 1 = 11; quick:
             refresh + 0.5 = 5.5): a run lasts 3 + 2 × 11 = 25 s (quick 7 s)
  app:       --refresh-seconds <s> (5)  --max-lifetime-seconds <s> (10, rotation runs; trials keep the app's 300),
             as the drill gives its tasks
  --max-minutes <m>          hard stop (default 25)
  --quiet                    no per-trial lines`;

export function parseBenchArgs(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string', default: 'reports' },
        variants: { type: 'string' },
        strategies: { type: 'string' },
        seed: { type: 'string', default: '1' },
        trials: { type: 'string' },
        rate: { type: 'string', default: '200' },
        concurrency: { type: 'string', default: '20' },
        'warmup-seconds': { type: 'string' },
        'saturation-seconds': { type: 'string' },
        'rest-ms': { type: 'string' },
        'common-seconds': { type: 'string' },
        'rotation-spacing-seconds': { type: 'string' },
        'side-by-side-rounds': { type: 'string' },
        'heavy-rotations': { type: 'string' },
        'heap-rotations': { type: 'string', default: '20' },
        'side-by-side-windows': { type: 'string' },
        'side-by-side-seconds': { type: 'string' },
        'side-by-side-rate': { type: 'string', default: '120' },
        rotations: { type: 'string' },
        'refresh-seconds': { type: 'string', default: '5' },
        'max-lifetime-seconds': { type: 'string', default: '10' },
        strict: { type: 'boolean', default: false },
        'write-docs': { type: 'boolean', default: false },
        docs: { type: 'string' },
        from: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'max-minutes': { type: 'string', default: '25' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');
  const quick = values.quick;
  const problems: string[] = [];
  const num = (name: string, raw: string, min: number, max: number, integer = true): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(
        `--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`,
      );
      return min;
    }
    return n;
  };
  const pick = (raw: string | undefined, full: string, short: string) => raw ?? (quick ? short : full);
  const list = <T extends string>(
    name: string,
    raw: string | undefined,
    allowed: readonly T[],
    none = false,
  ): T[] => {
    if (raw === undefined) return [...allowed];
    const items = raw
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (none && items.length === 1 && items[0] === 'none') return [];
    const bad = items.filter((v) => !(allowed as readonly string[]).includes(v));
    if (bad.length > 0 || items.length === 0)
      problems.push(
        `--${name} must be a comma-separated list of ${allowed.join(', ')}${none ? ' (or none)' : ''}, got "${raw}"`,
      );
    // Always in the canonical order: the baseline first, so ratios are known as soon as possible.
    return allowed.filter((v) => items.includes(v));
  };

  const options: BenchOptions = {
    quick,
    out: values.out,
    variants: list('variants', values.variants, VARIANT_NAMES),
    strategies: list('strategies', values.strategies, STRATEGIES, true),
    seed: num('seed', values.seed, 0, 2 ** 32 - 1),
    trials: num('trials', pick(values.trials, '5', '2'), 1, 50),
    rate: num('rate', values.rate, 1, 5000, false),
    concurrency: num('concurrency', values.concurrency, 1, 1000),
    warmupSeconds: num('warmup-seconds', pick(values['warmup-seconds'], '1.5', '0.5'), 0, 60, false),
    saturationWarmupSeconds: quick ? 0.5 : 1,
    saturationSeconds: num(
      'saturation-seconds',
      pick(values['saturation-seconds'], '3', '1.5'),
      0.5,
      120,
      false,
    ),
    restMs: num('rest-ms', pick(values['rest-ms'], '500', '250'), 0, 60_000),
    commonSeconds: num('common-seconds', pick(values['common-seconds'], '4', '1.5'), 1, 600, false),
    sideBySideRounds: num('side-by-side-rounds', pick(values['side-by-side-rounds'], '6', '1'), 0, 50),
    sideBySideWindows: num('side-by-side-windows', pick(values['side-by-side-windows'], '4', '2'), 1, 200),
    sideBySideSeconds: num(
      'side-by-side-seconds',
      pick(values['side-by-side-seconds'], '7.5', '3'),
      1,
      600,
      false,
    ),
    sideBySideRate: num('side-by-side-rate', values['side-by-side-rate'], 1, 2000, false),
    sideBySideWarmupSeconds: quick ? 2 : SIDE_BY_SIDE_REFRESH_SECONDS + 2,
    heavyRotations: num('heavy-rotations', pick(values['heavy-rotations'], '3', '1'), 0, 20),
    heapRotations: num('heap-rotations', values['heap-rotations'], 0, 100),
    rotations: num('rotations', pick(values.rotations, '2', '1'), 1, 20),
    rotationSpacingSeconds: 0,
    rotationLeadSeconds: quick ? 1.5 : 3,
    rotationSeconds: 0,
    refreshSeconds: num('refresh-seconds', values['refresh-seconds'], 1, 3600),
    maxLifetimeSeconds: num('max-lifetime-seconds', values['max-lifetime-seconds'], 10, 86_400),
    trialMaxLifetimeSeconds: 300,
    strict: values.strict,
    docs:
      values['write-docs'] || values.from !== undefined || values.docs !== undefined
        ? (values.docs ?? DEFAULT_DOCS)
        : undefined,
    from: values.from,
    cpuProf: values['cpu-prof'],
    maxMinutes: num('max-minutes', values['max-minutes'], 1, 120, false),
    quiet: values.quiet,
  };
  // Full: between rotations and after the last one every connection the pool held is replaced (max
  // lifetime), so a variant that cannot follow a rotation shows it, as it would with rotations days
  // apart. Quick: one refresh interval, enough for this app to act on it.
  const spacingDefault = quick
    ? options.refreshSeconds + 0.5
    : Math.max(options.refreshSeconds, options.maxLifetimeSeconds) + 1;
  options.rotationSpacingSeconds = num(
    'rotation-spacing-seconds',
    values['rotation-spacing-seconds'] ?? String(spacingDefault),
    1,
    3600,
    false,
  );
  options.rotationSeconds = options.rotationLeadSeconds + options.rotations * options.rotationSpacingSeconds;
  if (values.docs !== undefined && !values['write-docs'] && values.from === undefined)
    problems.push('--docs needs --write-docs or --from');
  if (options.heapRotations > 0 && options.heapRotations < 3)
    problems.push('--heap-rotations must be 0 (skip) or at least 3: the heap after the 2nd is the reference');
  if (values['cpu-prof'] !== undefined && values['cpu-prof'].trim() === '')
    problems.push('--cpu-prof needs a directory');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return options;
}
