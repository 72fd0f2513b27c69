/**
 * One bench run on one embedded stack: CPU per request side by side (paired-cost.ts), the
 * rotations-off trials (every variant once per round, interleaved, each a fresh process), every
 * variant under each rotation strategy one process at a time, this app alone under heavy load
 * (heavy-rotations.ts) and through many pool swaps (heap-guard.ts). The report (JSON), the tables,
 * and the verdict on this app's targets.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppProcess } from '../../local/app-process.js';
import { progressLines } from '../cli/index.js';
import { countPasswordsIn, scanForPasswords } from '../drill/index.js';
import { describeMachine, loadAverage } from './machine.js';
import type { BenchOptions } from './options.js';
import { describeHeapGuard, runHeapGuard, type HeapGuardResult } from './heap-guard.js';
import { runHeavyRotations, type HeavyRotationsResult } from './heavy-rotations.js';
import {
  SIDE_BY_SIDE_ENV,
  SIDE_BY_SIDE_VARIANTS,
  runPairedCost,
  type PairedCostResult,
} from './paired-cost.js';
import { rotationPhase, type PhaseContext } from './phases.js';
import { evaluateTargets, verdictOf } from './evaluation.js';
import {
  DEFINITIONS,
  fillRatios,
  measuredTrials,
  summarizeTrials,
  type BenchReport,
  type VariantReport,
} from './report.js';
import { summaryTable } from './report-tables.js';
import { startBenchStack } from './stack.js';
import { round } from './step.js';
import { describeTrial, interleavedOrder, runTrial } from './trial.js';
import { spawnVariant, VARIANTS, type VariantName } from './variants.js';
import { firstLine } from './first-line.js';

export interface BenchResult {
  report: BenchReport;
  exitCode: number;
  file: string;
}

export async function runBench(
  options: BenchOptions,
  command: string,
  write: (line: string) => void,
): Promise<BenchResult> {
  const started = new Date();
  const loadAtStart = loadAverage();
  const { say, printed } = progressLines(write);

  say(`starting the embedded stack (load average ${loadAtStart.join(' ')})`);
  const bench = await startBenchStack({
    refreshSeconds: options.refreshSeconds,
    maxLifetimeSeconds: options.maxLifetimeSeconds,
    say,
  });
  try {
    const postgres = await bench.postgresVersion();
    say(`stack ready: PostgreSQL ${postgres}, Secrets Manager ${bench.stack.secretsManager.url}`);
    const ctx: PhaseContext = {
      bench,
      options,
      say,
      runId: `bench-${Date.now().toString(36)}-s${options.seed}`,
    };
    const outputs: { source: string; lines: string[] }[] = [];
    const profiled = new Set<VariantName>();
    const spawner = (name: VariantName, phase: string) => async (): Promise<AppProcess> => {
      // One profile per variant, of its first trial. One directory per variant, Node's own file
      // names: the module loader's thread writes a profile too.
      const profile = options.cpuProf !== undefined && phase.startsWith('trial') && !profiled.has(name);
      const sideBySide = phase === 'side by side';
      if (profile) profiled.add(name);
      const task = await spawnVariant(name, bench, {
        ...(phase.startsWith('trial') && {
          env: { DB_POOL_MAX_LIFETIME_SECONDS: String(options.trialMaxLifetimeSeconds) },
        }),
        ...(sideBySide && { env: SIDE_BY_SIDE_ENV }),
        ...(profile && {
          nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(resolve(options.cpuProf ?? '.'), name)}`],
        }),
      });
      outputs.push({ source: `${name} ${phase}`, lines: task.lines });
      return task;
    };

    const variants: VariantReport[] = options.variants.map((name) => {
      const spec = VARIANTS[name];
      return {
        name,
        title: spec.title,
        description: spec.description,
        underRotation: spec.underRotation,
        node: process.version,
        trials: [],
        summary: summarizeTrials([], options.refreshSeconds),
        rotations: {},
        ratios: { saturation: null, cpuPerRequest: null, p99: null },
      };
    });
    const durations: BenchReport['durations'] = {
      stack: round((Date.now() - started.getTime()) / 1000, 1),
      sideBySide: 0,
      trials: 0,
      heavyRotations: 0,
      heapGuard: 0,
      rotationRuns: {},
    };

    // Rotations off, side by side: the cost figure that can decide a few percent.
    let sideBySide: PairedCostResult | null = null;
    const together = SIDE_BY_SIDE_VARIANTS.filter((name) => options.variants.includes(name));
    if (options.sideBySideRounds > 0 && together.length > 1) {
      const sideBySideStarted = Date.now();
      say(
        `side by side: ${together.join(', ')} at ${options.sideBySideRate} req/s each, ` +
          `${options.sideBySideRounds} × ${options.sideBySideWindows} windows of ${options.sideBySideSeconds} s`,
      );
      try {
        sideBySide = await runPairedCost(ctx, together, (name) => spawner(name, 'side by side')(), {
          rate: options.sideBySideRate,
          rounds: options.sideBySideRounds,
          warmupSeconds: options.sideBySideWarmupSeconds,
          windowSeconds: options.sideBySideSeconds,
          windows: options.sideBySideWindows,
        });
        for (const v of sideBySide.variants.filter((x) => x.ratio !== null))
          say(
            `side by side, ${VARIANTS[v.name].title}: CPU per request ${v.ratio?.median ?? '-'} × baseline ` +
              `[${v.ratio?.ci95.join('–') ?? '-'}]`,
          );
      } catch (err) {
        say(`side by side: could not run: ${firstLine(err)}`);
      }
      durations.sideBySide = round((Date.now() - sideBySideStarted) / 1000, 1);
    }

    // Rotations off: round k runs every variant once, in the order rotated by k.
    const trialsStarted = Date.now();
    for (let round_ = 0; round_ < options.trials; round_++) {
      const order = interleavedOrder(
        variants.filter((v) => v.error === undefined),
        round_,
      );
      for (const [position, v] of order.entries()) {
        const slot = { round: round_, position };
        try {
          const t = await runTrial(ctx, v.name, slot, spawner(v.name, `trial ${round_ + 1}`));
          v.trials.push(t);
          if (!options.quiet) say(`${v.title}, trial ${round_ + 1}/${options.trials}: ${describeTrial(t)}`);
        } catch (err) {
          const error = firstLine(err);
          v.trials.push({ ...slot, error });
          say(`${v.title}, trial ${round_ + 1}/${options.trials}: could not run: ${error}`);
        }
      }
    }
    durations.trials = round((Date.now() - trialsStarted) / 1000, 1);
    for (const v of variants) {
      v.summary = summarizeTrials(measuredTrials(v), options.refreshSeconds);
      if (v.error === undefined && v.summary.trials === 0) {
        const failed = v.trials.find((t) => 'error' in t);
        v.error = failed && 'error' in failed ? failed.error : 'no trial finished';
      }
    }
    fillRatios(variants, options.trials);
    for (const v of variants.filter((x) => x.summary.trials > 0 && x.name !== 'baseline'))
      say(
        `${v.title}: CPU per request ${v.ratios.cpuPerRequest?.median ?? '-'} × baseline ` +
          `[${v.ratios.cpuPerRequest?.ci95.join('–') ?? '-'}], saturation ${v.ratios.saturation?.median ?? '-'} × ` +
          `[${v.ratios.saturation?.ci95.join('–') ?? '-'}]`,
      );

    for (const strategy of options.strategies) {
      const strategyStarted = Date.now();
      for (const v of variants) {
        if (v.error !== undefined) continue;
        say(`${v.title}: ${options.rotations} ${strategy} rotations at ${options.rate} req/s`);
        try {
          v.rotations[strategy] = await rotationPhase(ctx, v.name, strategy, spawner(v.name, strategy));
        } catch (err) {
          const error = firstLine(err);
          v.rotations[strategy] = { error };
          say(`${v.title}: ${strategy} run could not run: ${error}`);
        }
      }
      durations.rotationRuns[strategy] = round((Date.now() - strategyStarted) / 1000, 1);
    }

    // This app alone under heavy load: rotations at 70 % of the saturation its trials reached.
    const onSpawn = (task: AppProcess, source: string) => {
      outputs.push({ source, lines: task.lines });
    };
    let heavy: HeavyRotationsResult | null = null;
    const app = variants.find((v) => v.name === 'this-app' && v.error === undefined);
    const saturation = app?.summary.saturationRps?.median;
    if (options.heavyRotations > 0 && options.strategies.length > 0 && saturation !== undefined) {
      const heavyStarted = Date.now();
      heavy = await runHeavyRotations(ctx, saturation, {
        strategies: options.strategies,
        settings: {
          rotations: options.heavyRotations,
          // Quick runs in CI beside other test files: half the saturation leaves room for their load.
          ...(options.quick && { fraction: 0.5, warmupSeconds: 2, leadSeconds: 3, spacingSeconds: 6 }),
        },
        onSpawn,
      });
      durations.heavyRotations = round((Date.now() - heavyStarted) / 1000, 1);
    }
    let heapGuard: HeapGuardResult | null = null;
    if (options.heapRotations > 0 && options.variants.includes('this-app')) {
      const heapStarted = Date.now();
      say(`heap guard: ${options.heapRotations} alternating-users pool swaps`);
      try {
        heapGuard = await runHeapGuard(ctx, { settings: { rotations: options.heapRotations }, onSpawn });
        say(describeHeapGuard(heapGuard));
      } catch (err) {
        say(`heap guard: could not run: ${firstLine(err)}`);
      }
      durations.heapGuard = round((Date.now() - heapStarted) / 1000, 1);
    }

    const targets = evaluateTargets(variants, options, sideBySide, heavy, heapGuard);
    const passwords = await bench.passwords();
    const finished = new Date();
    const report: BenchReport = {
      kind: 'benchmark',
      version: 3,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      durations,
      command,
      options,
      machine: describeMachine({ postgres, loadAtStart }),
      definitions: DEFINITIONS,
      variants,
      sideBySide,
      heavyRotations: heavy,
      heapGuard,
      targets,
      verdict: verdictOf(targets, variants),
      leaks: {
        ...scanForPasswords(
          [
            ...outputs,
            { source: 'stack', lines: bench.stackLines },
            { source: 'rotation-function', lines: bench.functionLines },
            { source: 'bench-terminal', lines: printed },
          ],
          passwords,
        ),
        reportFileOccurrences: null,
      },
    };

    await mkdir(options.out, { recursive: true });
    const file = join(options.out, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    // The report file itself, scanned once written; the figure goes back into it.
    const inFile = countPasswordsIn(await readFile(file, 'utf8'), passwords);
    report.leaks.reportFileOccurrences = inFile;
    // Only what this project prints decides: this app, the bench itself, its report. (Another
    // variant's log is counted in the report, not held against the verdict.)
    const ours =
      inFile +
      Object.entries(report.leaks.bySource)
        .filter(([source]) => source.startsWith('this-app ') || source === 'bench-terminal')
        .reduce((sum, [, n]) => sum + n, 0);
    if (ours > 0)
      report.verdict = {
        pass: false,
        reasons: [
          ...report.verdict.reasons,
          `${ours} password occurrences in this app's output, the bench's or the report`,
        ],
      };
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);

    write('');
    write(summaryTable(report));
    write(`report: ${file} (${report.durationSeconds} s)`);
    return { report, exitCode: report.verdict.pass ? 0 : 1, file };
  } finally {
    await bench.stop();
  }
}
