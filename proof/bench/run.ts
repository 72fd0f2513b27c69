/**
 * One bench run: Node for the wrapper, one embedded stack, then every variant rotations off (the
 * stepped search and the common-rate run), then every variant under each rotation strategy, one
 * process at a time. The report (JSON), the table, and the verdict on this app's targets.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppProcess } from '../../local/app-process.js';
import { progressLines } from '../cli/index.js';
import { countPasswordsIn, scanForPasswords } from '../drill/index.js';
import { describeMachine, loadAverage } from './machine.js';
import { ensureRecentNode, type NodeBinary } from './node22.js';
import type { BenchOptions } from './options.js';
import { rotationPhase, steadyPhase, type PhaseContext } from './phases.js';
import {
  DEFINITIONS,
  evaluateTargets,
  fillRatios,
  summaryTable,
  verdictOf,
  type BenchReport,
  type VariantReport,
} from './report.js';
import { startBenchStack } from './stack.js';
import { spawnVariant, VARIANTS, type VariantName } from './variants.js';

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

  let recentNode: NodeBinary | undefined;
  let recentNodeError: string | undefined;
  if (options.variants.some((v) => VARIANTS[v].needsRecentNode)) {
    try {
      recentNode = await ensureRecentNode(say);
    } catch (err) {
      recentNodeError = `no Node ≥ 22.9 for the wrapper: ${(err as Error).message}`;
      say(recentNodeError);
    }
  }

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
    const spawner = (name: VariantName, phase: string) => async (): Promise<AppProcess> => {
      const task = await spawnVariant(name, bench, {
        ...(recentNode && { recentNode }),
        // Only the steady process: a profile of the search and the common-rate run. One directory
        // per variant, Node's own file names: the module loader's thread writes a profile too.
        ...(options.cpuProf !== undefined &&
          phase === 'steady' && {
            nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(resolve(options.cpuProf), name)}`],
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
        node: spec.needsRecentNode ? (recentNode?.version ?? 'none') : process.version,
        ...(spec.needsRecentNode && recentNodeError !== undefined && { error: recentNodeError }),
        rotations: {},
        ratios: { latencyTarget: null, saturation: null, cpuPerRequest: null },
      };
    });

    // Rotations off first, every variant back to back (the baseline and this app adjacent in time).
    for (const v of variants) {
      if (v.error !== undefined) continue;
      say(`${v.title}: rotations off (process ${v.node})`);
      try {
        v.steady = await steadyPhase(ctx, v.name, spawner(v.name, 'steady'));
        fillRatios(variants);
        const s = v.steady.search;
        say(
          `${v.title}: latency target ${s.latencyTarget?.rps ?? '-'} req/s, saturation ${s.saturation?.achievedRps ?? '-'} req/s` +
            (v.name === 'baseline' ? '' : ` (${v.ratios.saturation ?? '-'} × baseline)`),
        );
      } catch (err) {
        v.error = (err as Error).message.split('\n')[0] ?? 'error';
        say(`${v.title}: could not run: ${v.error}`);
      }
    }
    for (const strategy of options.strategies) {
      for (const v of variants) {
        if (v.error !== undefined) continue;
        say(`${v.title}: ${options.rotations} ${strategy} rotations at ${options.rate} req/s`);
        try {
          v.rotations[strategy] = await rotationPhase(ctx, v.name, strategy, spawner(v.name, strategy));
        } catch (err) {
          const error = (err as Error).message.split('\n')[0] ?? 'error';
          v.rotations[strategy] = { error };
          say(`${v.title}: ${strategy} run could not run: ${error}`);
        }
      }
    }

    fillRatios(variants);
    const targets = evaluateTargets(variants, options);
    const passwords = await bench.passwords();
    const finished = new Date();
    const report: BenchReport = {
      kind: 'benchmark',
      version: 1,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      command,
      options,
      machine: describeMachine({ postgres, wrapperNode: recentNode?.version ?? null, loadAtStart }),
      definitions: DEFINITIONS,
      variants,
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
