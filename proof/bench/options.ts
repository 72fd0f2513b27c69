/** `npm run bench -- …` options, validated; every bad value is named. */
import { parseArgs } from 'node:util';
import { STRATEGIES, type RotationStrategy } from '../../rotation/config.js';
import { VARIANT_NAMES, type VariantName } from './variants.js';

export interface BenchOptions {
  quick: boolean;
  out: string;
  variants: VariantName[];
  strategies: RotationStrategy[];
  seed: number;
  /** The fixed-rate figures (p50/p99, the rotation runs) are taken at this rate, for every variant. */
  rate: number;
  latencyTargetMs: number;
  stepSeconds: number;
  startRate: number;
  stepFactor: number;
  bisections: number;
  maxRate: number;
  /** Steps per search at most, repeats included. */
  maxSteps: number;
  /** Run a step again when it misses a criterion without being clearly overloaded. */
  repeatMisses: boolean;
  warmupSeconds: number;
  restMs: number;
  commonSeconds: number;
  rotations: number;
  /** Seconds between two rotations, and after the last one (rotationSchedule). */
  rotationSpacingSeconds: number;
  /** When the first rotation starts, in seconds from the start of the load. */
  rotationLeadSeconds: number;
  /** Length of a rotation run: lead + rotations × spacing (derived). */
  rotationSeconds: number;
  refreshSeconds: number;
  maxLifetimeSeconds: number;
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

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_DOCS = 'docs/benchmarks.md';

export const USAGE = `npm run bench -- [options]
  --quick                    the short CI version (a few seconds per step; about 2 minutes)
  --variants <list>          of ${VARIANT_NAMES.join(', ')} (default all)
  --strategies <list>        rotation runs: ${STRATEGIES.join(', ')}, or none (default both)
  --rate <req/s>             the common rate: p50/p99 and the rotation runs, for every variant (default 200)
  --latency-target-ms <ms>   p99 bound of the latency-target search (default 50)
  --seed <n>                 request mix seed (default 1)
  --out <dir>                report directory (default reports/)
  --write-docs [--docs <file>]  also regenerate ${DEFAULT_DOCS} (or <file>) from the report
  --from <report.json>       no run: only regenerate the docs from that report (implies --write-docs)
  --strict                   missing the throughput target (this app ≥ 0.97 × baseline) fails the exit code
  --cpu-prof <dir>           CPU profiles (node --cpu-prof) of each variant's rotations-off process, in <dir>/<variant>/
  search:    --step-seconds <s> (3; quick 1.5)  --start-rate <req/s> (200)  --step-factor <x> (1.6; quick 2)
             --bisections <n> (3; quick 1)  --max-rate <req/s> (5000)  --max-steps <n> (16; quick 5)
             --warmup-seconds <s> (3; quick 1)  --rest-ms <ms> (500; quick 250)
             --no-repeat (a missed step is not run again; quick: never)
  fixed:     --common-seconds <s> (8; quick 1.5)
  rotations: --rotations <n> per run (2; quick 1), the first 3 s into the run (quick 1.5 s), then one every
             --rotation-spacing-seconds <s>, which also follow the last one (max lifetime + 1 = 11; quick:
             refresh + 0.5 = 5.5): a run lasts 3 + 2 × 11 = 25 s (quick 7 s)
  app:       --refresh-seconds <s> (5)  --max-lifetime-seconds <s> (10), as the drill gives its tasks
  --max-minutes <m>          hard stop (default 15)
  --quiet                    no per-step lines`;

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
        rate: { type: 'string', default: '200' },
        'latency-target-ms': { type: 'string', default: '50' },
        'step-seconds': { type: 'string' },
        'start-rate': { type: 'string', default: '200' },
        'step-factor': { type: 'string' },
        bisections: { type: 'string' },
        'max-rate': { type: 'string', default: '5000' },
        'max-steps': { type: 'string' },
        'no-repeat': { type: 'boolean', default: false },
        'warmup-seconds': { type: 'string' },
        'rest-ms': { type: 'string' },
        'common-seconds': { type: 'string' },
        'rotation-spacing-seconds': { type: 'string' },
        rotations: { type: 'string' },
        'refresh-seconds': { type: 'string', default: '5' },
        'max-lifetime-seconds': { type: 'string', default: '10' },
        strict: { type: 'boolean', default: false },
        'write-docs': { type: 'boolean', default: false },
        docs: { type: 'string' },
        from: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'max-minutes': { type: 'string', default: '15' },
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
    rate: num('rate', values.rate, 1, 5000, false),
    latencyTargetMs: num('latency-target-ms', values['latency-target-ms'], 1, 10_000, false),
    stepSeconds: num('step-seconds', pick(values['step-seconds'], '3', '1.5'), 1, 60, false),
    startRate: num('start-rate', values['start-rate'], 1, 5000, false),
    stepFactor: num('step-factor', pick(values['step-factor'], '1.6', '2'), 1.05, 4, false),
    bisections: num('bisections', pick(values.bisections, '3', '1'), 0, 6),
    maxRate: num('max-rate', values['max-rate'], 1, 20_000, false),
    maxSteps: num('max-steps', pick(values['max-steps'], '16', '5'), 1, 100),
    repeatMisses: !values['no-repeat'] && !quick,
    warmupSeconds: num('warmup-seconds', pick(values['warmup-seconds'], '3', '1'), 0, 60, false),
    restMs: num('rest-ms', pick(values['rest-ms'], '500', '250'), 0, 60_000),
    commonSeconds: num('common-seconds', pick(values['common-seconds'], '8', '1.5'), 1, 600, false),
    rotations: num('rotations', pick(values.rotations, '2', '1'), 1, 20),
    rotationSpacingSeconds: 0,
    rotationLeadSeconds: quick ? 1.5 : 3,
    rotationSeconds: 0,
    refreshSeconds: num('refresh-seconds', values['refresh-seconds'], 1, 3600),
    maxLifetimeSeconds: num('max-lifetime-seconds', values['max-lifetime-seconds'], 10, 86_400),
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
  if (options.startRate > options.maxRate)
    problems.push(`--start-rate (${options.startRate}) must not be above --max-rate (${options.maxRate})`);
  if (values.docs !== undefined && !values['write-docs'] && values.from === undefined)
    problems.push('--docs needs --write-docs or --from');
  if (values['cpu-prof'] !== undefined && values['cpu-prof'].trim() === '')
    problems.push('--cpu-prof needs a directory');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return options;
}
