/**
 * The measured part of docs/benchmarks.md, from a bench report (`npm run bench -- --write-docs`, or
 * `--from <report.json>` without a run): the tables, this app's targets and the verdict, what
 * happened under rotation and under heavy load, memory, the wrapper's figures, the machine, the
 * command and its settings, how long each part took, the variants, the definitions and this run's
 * noise gauge. It replaces what lies between the page's two markers and nothing else: the prose
 * around them (how to read the figures, where the CPU goes, what the wrapper does) is written by hand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { median } from 'simple-statistics';
import type { RotationStrategy } from '../../rotation/public.js';
import {
  CPU_TARGET,
  GAUGE_BOUNDS,
  MIN_PAIRS_TO_DECIDE,
  MIN_ROUNDS_TO_DECIDE,
  THROUGHPUT_TARGET,
} from './evaluation.js';
import {
  DEFINITIONS,
  isRotationResult,
  measuredTrials,
  type BenchReport,
  type VariantReport,
} from './report.js';
import { ratioCell, reportTables, spreadCell } from './report-tables.js';

/** The generated block starts on the line that begins with this, and ends on the END line. */
export const BEGIN_MARKER = '<!-- BEGIN bench results';
export const END_MARKER = '<!-- END bench results -->';
const BEGIN_LINE = `${BEGIN_MARKER}: written by \`npm run bench -- --write-docs\` from a report; edit proof/bench/docs.ts, not this block -->`;

const cell = (s: string) => s.replace(/\|/g, '\\|');
const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
/** "latencyTargetRate" → "latency target rate" */
const words = (key: string) => key.replace(/([A-Z])/g, ' $1').toLowerCase();

/** A Markdown table; numbers right-aligned unless `left`. */
function table(header: string[], rows: string[][], left = false): string {
  const align = header.map((_, i) => (i === 0 || left ? '---' : '---:'));
  return [header, align, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

function rotationLines(v: VariantReport, strategies: readonly RotationStrategy[]): string[] {
  const lines: string[] = [];
  for (const strategy of strategies) {
    const r = v.rotations[strategy];
    if (!isRotationResult(r)) {
      if (r) lines.push(`- ${strategy}: could not run (${r.error})`);
      continue;
    }
    const bad = r.totals.failed + r.totals.dropped;
    const reasons = Object.entries(r.totals.failedByReason)
      .map(([k, n]) => `${k} × ${n}`)
      .join(', ');
    const calls = Object.entries(r.secretsManager.byOperation)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const finished = r.rotations.filter((x) => x.ok).length;
    const at = r.rotations.map((x) => `${x.requestedAtSeconds} s`).join(', ');
    lines.push(
      `- ${strategy}: **${bad} of ${r.totals.scheduled} failed**` +
        (r.totals.dropped > 0 ? ` (${r.totals.dropped} of them dropped)` : '') +
        (reasons ? ` — ${reasons}` : '') +
        `; rotations at ${at || '-'} (${finished}/${r.rotations.length} finished)` +
        (r.firstFailureAfterFirstRotationSeconds !== null
          ? `; first failure ${r.firstFailureAfterFirstRotationSeconds} s after the first rotation, last at ` +
            `${r.lastFailureAtSeconds ?? '-'} s of ${r.totals.durationSeconds} s`
          : '') +
        `; p99 ${ms(r.windows.rotation.p99Ms)} ms in rotation windows, ${ms(r.windows.steady.p99Ms)} ms outside` +
        `; Secrets Manager calls during the run: ${calls || 'none'}` +
        (v.name === 'this-app' && r.poolSwaps !== null ? `; pool swaps ${r.poolSwaps}` : '') +
        (r.connections.length > 0
          ? `; connections in the rotation windows: ${r.connections
              .map((c) => `${c.peak} at most over ${c.steady} steady`)
              .join(', ')}`
          : '') +
        (r.errors.length > 0
          ? `; the process logged: ${r.errors.map((e) => `\`${e.message}\` × ${e.count}`).join(', ')}`
          : ''),
    );
  }
  return lines;
}

/** What this run measured of the wrapper (the prose around the block says why it behaves so). */
function wrapperSection(report: BenchReport): string[] {
  const w = report.variants.find((v) => v.name === 'wrapper');
  if (!w) return [];
  const base = report.variants.find((v) => v.name === 'baseline');
  const run = (strategy: RotationStrategy) => {
    const r = w.rotations[strategy];
    return isRotationResult(r)
      ? `${r.totals.failed + r.totals.dropped} of ${r.totals.scheduled} requests failed, with ` +
          `${r.secretsManager.byOperation.GetSecretValue ?? 0} GetSecretValue calls during the ${r.totals.durationSeconds} s run`
      : 'not measured in this run';
  };
  const cpuW = w.summary.cpuMsPerRequest;
  const cpuB = base?.summary.cpuMsPerRequest;
  const rss = (v: VariantReport | undefined) => v?.summary.rssMiB;
  const served = (v: VariantReport | undefined) => v?.summary.requestsServed;
  return [
    '### The wrapper in this run',
    '',
    `- CPU per request, rotations off: ` +
      (cpuW && cpuB
        ? `a median ${cpuW.median.toFixed(2)} ms against the baseline\u2019s ${cpuB.median.toFixed(2)}, ` +
          ratioCell(w.ratios.cpuPerRequest) +
          (w.node === base.node ? '' : ` (on Node ${w.node} against ${base.node})`)
        : 'not measured'),
    `- resident memory at the end of a trial, median: ` +
      (rss(w) && rss(base) && served(w) && served(base)
        ? `${Math.round(rss(w)?.median ?? 0)} MiB after ${served(w)?.median ?? 0} requests, the baseline ` +
          `${Math.round(rss(base)?.median ?? 0)} MiB after ${served(base)?.median ?? 0}`
        : 'not measured'),
    `- single user: ${run('single-user')}`,
    `- alternating users: ${run('alternating-users')}`,
    '',
  ];
}

/** The generated block, markers included. */
export function renderResults(report: BenchReport, reportPath: string): string {
  const o = report.options;
  const m = report.machine;
  const out: string[] = [BEGIN_LINE, ''];
  out.push(
    `## Results (${report.startedAt.slice(0, 10)}, ${o.quick ? 'quick' : 'full'} run, ${report.durationSeconds} s)`,
  );
  out.push('');
  for (const t of reportTables(report)) {
    out.push(`**${t.title}**`);
    out.push('');
    out.push(table(t.header, t.rows));
    out.push('');
  }
  out.push(
    'Ratios are to the baseline, per paired trial (the trials of one round ran back to back), as the median of the ' +
      'pairs and its bootstrap 95 % interval in brackets; a ratio whose interval contains 1 is no measurable ' +
      'difference. "ready in s": from spawning the process to the first 200 on /health/ready. "connections opened at ' +
      'startup": PostgreSQL backends the process opened before it was ready, and the most it held at once. ' +
      '"extra connections in a swap": in the alternating-users run, the most connections held during a rotation ' +
      'window over the steady count just before it. "(expected)" marks a variant that cannot follow a rotation by ' +
      `design. SM calls are per refresh interval (${o.refreshSeconds} s), rotations off, after startup. Raw figures, ` +
      `every trial included: \`${reportPath}\` (reports/ is not committed).`,
  );
  out.push('');
  out.push('### This app\u2019s targets');
  out.push('');
  out.push(
    table(
      ['target', 'measured', 'met'],
      report.targets.map((t) => [
        `${t.name}: ${t.target}`,
        t.measured,
        t.met === null ? 'undecided' : t.met ? 'yes' : t.hard ? '**no**' : 'no (informational)',
      ]),
      true,
    ),
  );
  out.push('');
  out.push(
    report.verdict.pass ? 'Verdict: **PASS**.' : `Verdict: **FAIL** — ${report.verdict.reasons.join('; ')}.`,
  );
  out.push('');
  out.push(...decisionSection(report));
  out.push('### Under rotation');
  out.push('');
  if (o.quick) {
    out.push(
      '_A quick run: each rotation run is shorter than a connection\u2019s lifetime, so a variant that cannot follow ' +
        'a rotation may not have needed a new connection yet. Only this app\u2019s figures under rotation mean ' +
        'something here; run the full bench for the others._',
    );
    out.push('');
  }
  for (const v of report.variants) {
    out.push(`**${v.title}** (${v.underRotation.replace(/-/g, ' ')})`);
    out.push('');
    const lines = v.error !== undefined ? [`- could not run: ${v.error}`] : rotationLines(v, o.strategies);
    out.push(...(lines.length > 0 ? lines : ['- no rotation run']));
    out.push('');
  }
  out.push(...heavySection(report));
  out.push(...memorySection(report));
  out.push(...wrapperSection(report));
  out.push('### The machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        [
          'Node.js',
          m.node.wrapper && m.node.wrapper !== m.node.bench
            ? `${m.node.bench} (bench, baseline, this app, naive); ${m.node.wrapper} (wrapper)`
            : `${m.node.bench} (every variant)`,
        ],
        ['PostgreSQL', `${m.postgres} (embedded, SCRAM, fsync off, loopback)`],
        ['load average at start / end', `${m.loadAverage.start.join(' ')} / ${m.loadAverage.end.join(' ')}`],
      ],
      true,
    ),
  );
  out.push('');
  out.push('### The command');
  out.push('');
  out.push('```sh');
  out.push(report.command);
  out.push('```');
  out.push('');
  out.push(
    `Settings: ${o.trials} trials per variant, interleaved; each trial ${o.warmupSeconds} s of warm-up at ` +
      `${o.rate} req/s, a saturation run of ${o.saturationSeconds} s at ${o.concurrency} requests in flight (after ` +
      `${o.saturationWarmupSeconds} s not counted), ${o.restMs} ms rest, then ${o.commonSeconds} s at ${o.rate} req/s; ` +
      `rotation runs ${o.rotationSeconds} s with ${o.rotations} rotations; every app process with ` +
      `CREDENTIAL_REFRESH_SECONDS=${o.refreshSeconds}, DB_POOL_MAX_LIFETIME_SECONDS=${o.maxLifetimeSeconds} ` +
      `(${o.trialMaxLifetimeSeconds}, the app\u2019s default, in the trials: no trial lasts that long), ` +
      'a pool of 10, LOG_LEVEL=info, RATE_LIMIT_WRITES_PER_MINUTE=1000000 (the limit in the path, never throttling); seed ' +
      `${o.seed} (round k: seed + k).`,
  );
  out.push('');
  out.push(...durationSection(report));
  out.push('### The variants');
  out.push('');
  for (const v of report.variants) out.push(`- **${v.title}** (Node ${v.node}): ${v.description}`);
  out.push('');
  out.push('### Definitions');
  out.push('');
  out.push(
    table(
      ['term', 'definition'],
      // The wording is this code's, like the rest of the block; the report keeps the one it was run with.
      Object.entries(DEFINITIONS).map(([k, v]) => [words(k), v]),
      true,
    ),
  );
  out.push('');
  out.push(END_MARKER);
  return `${out.join('\n')}\n`;
}

/** Where the run's time went: what to trade when it must be shorter. */
function durationSection(report: BenchReport): string[] {
  const d = report.durations;
  const trials = report.variants.flatMap((v) => measuredTrials(v));
  const perTrial =
    trials.length > 0 ? trials.reduce((sum, t) => sum + t.wallSeconds, 0) / trials.length : null;
  const rows: string[][] = [
    ['the embedded stack', `${d.stack} s`],
    [
      `side by side (${report.sideBySide?.rounds ?? 0} rounds of fresh processes, ${report.sideBySide?.windows.length ?? 0} windows)`,
      `${d.sideBySide} s`,
    ],
    [
      `rotations-off trials (${trials.length}; ${perTrial === null ? '-' : perTrial.toFixed(1)} s each on average)`,
      `${d.trials} s`,
    ],
    ...Object.entries(d.rotationRuns).map(([strategy, seconds]) => [
      `${strategy} rotation runs (one per variant)`,
      `${seconds} s`,
    ]),
    ['this app under heavy load (both strategies)', `${d.heavyRotations} s`],
    [`the heap guard (${report.heapGuard?.rotations ?? 0} pool swaps)`, `${d.heapGuard} s`],
    ['the whole run', `${report.durationSeconds} s`],
  ];
  return ['### How long each part took', '', table(['part', 'time'], rows), ''];
}

/** How this run decides its cost targets, and its own noise gauge (the prose above the block says why). */
function decisionSection(report: BenchReport): string[] {
  const naive = report.variants.find((v) => v.name === 'naive');
  const pair = report.sideBySide?.variants.find((v) => v.name === 'naive')?.ratio ?? null;
  const lines = [
    `- CPU per request is decided side by side (upper bound ≤ ${CPU_TARGET}) only when the identical pair\u2019s ` +
      `interval lies within ${GAUGE_BOUNDS[0]}–${GAUGE_BOUNDS[1]}, with at least ${MIN_ROUNDS_TO_DECIDE} rounds and ` +
      `${MIN_PAIRS_TO_DECIDE} windows; throughput at saturation is met when the lower bound is ≥ ${THROUGHPUT_TARGET}, ` +
      `and fewer than ${MIN_PAIRS_TO_DECIDE} trial pairs decide nothing.`,
  ];
  if (pair !== null)
    lines.push(`- the identical pair (naive ÷ baseline) side by side: ${ratioCell(pair, 3)}`);
  if (naive && (naive.ratios.saturation || naive.ratios.cpuPerRequest))
    lines.push(
      `- the same pair in the interleaved trials: ${ratioCell(naive.ratios.cpuPerRequest)} the baseline\u2019s CPU ` +
        `per request, ${ratioCell(naive.ratios.saturation)} its throughput at saturation`,
    );
  return ['### How this run decides, and its noise gauge', '', ...lines, ''];
}

/** p99 by second: the median second's, and the worst second of each rotation window. */
function perSecondLine(
  perSecond: readonly (number | null)[],
  windows: readonly { fromSeconds: number; toSeconds: number }[],
): string {
  const known = perSecond.filter((p): p is number => p !== null);
  if (known.length === 0) return '';
  const worst = windows.map((w) => {
    const inWindow = perSecond
      .slice(Math.floor(w.fromSeconds), Math.ceil(w.toSeconds))
      .filter((p): p is number => p !== null);
    return inWindow.length > 0 ? Math.max(...inWindow).toFixed(1) : '-';
  });
  return `p99 by second: ${median(known).toFixed(1)} ms the median second, the worst second of each window ${worst.join(', ')} ms`;
}

/** This app at 70 % of its saturation through rotations: per window, when the swap came and what it held. */
function heavySection(report: BenchReport): string[] {
  const heavy = report.heavyRotations;
  if (heavy === null) return [];
  const lines = heavy.strategies.map(({ strategy, result: r }) => {
    if ('error' in r) return `- ${strategy}: could not run (${r.error})`;
    const windows = r.windows
      .map(
        (w) =>
          `rotation ${w.index} at ${w.rotation.requestedAtSeconds} s` +
          (w.swapAtSeconds !== null ? `, swap at ${w.swapAtSeconds} s` : '') +
          `: ${w.peak} held at most, ${w.opened} opened`,
      )
      .join('; ');
    return (
      `- ${strategy}: ${r.ok} of ${r.scheduled} answered, ${r.failed} failed, ${r.dropped} dropped; ` +
      `${r.rotationsFinished} rotations finished, ${r.poolSwaps ?? '-'} pool swaps; ${windows}. ` +
      perSecondLine(r.perSecondP99Ms, r.windows)
    );
  });
  return [
    '### Under heavy load',
    '',
    `This app alone at ${heavy.rate} req/s, ${Math.round(heavy.settings.fraction * 100)} % of the ` +
      `${heavy.saturationRps} req/s its trials reached at saturation in this run.`,
    '',
    ...lines,
    '',
  ];
}

/** Resident memory side by side, and the heap across many pool swaps. */
function memorySection(report: BenchReport): string[] {
  const sbs = report.sideBySide;
  const heap = report.heapGuard;
  const out = ['### Memory', ''];
  if (sbs !== null)
    out.push(
      `Side by side, at the end of each round (the same requests at ${sbs.rate} req/s, nothing else): resident ` +
        'memory ' +
        sbs.variants
          .map((v) =>
            v.name === 'baseline'
              ? `${spreadCell(v.rssMiB, 0)} MiB for the baseline`
              : `${spreadCell(v.rssMiB, 0)} MiB for ${v.name === 'this-app' ? 'this app' : v.name}` +
                (v.rssRatio ? ` (${v.rssRatio.median.toFixed(2)} × the baseline\u2019s)` : ''),
          )
          .join(', ') +
        '. The trials\u2019 "RSS peak" above is the saturation run\u2019s high-water mark.',
      '',
    );
  if (heap !== null)
    out.push(
      `The heap guard: one this-app process through ${heap.rotations} alternating-users rotations, a pool swap ` +
        `each, at ${heap.settings.rate} req/s (${heap.failed + heap.dropped} of ${heap.scheduled} requests failed or ` +
        `dropped). V8 heap used after a forced GC, after each swap\u2019s old pool drained (MiB): ` +
        `${heap.readings.map((r) => r.heapUsedMiB.toFixed(1)).join(', ')}; resident memory ` +
        `${heap.readings[0]?.rssMiB ?? '-'} → ${heap.readings.at(-1)?.rssMiB ?? '-'} MiB. After the last swap ` +
        `${heap.growth ?? '-'} × the heap after swap ${heap.settings.referenceRotation} (at most ` +
        `${heap.settings.maxGrowth}): ${heap.pass ? 'pass' : `**fail** (${heap.reasons.join('; ')})`}.`,
      '',
    );
  return out.length > 2 ? out : [];
}

/**
 * `doc` with the text between its markers replaced by `block` (markers included). A page without
 * exactly one pair of markers, in order, is refused: the hand-written prose is never overwritten.
 */
export function spliceResults(doc: string, block: string): string {
  const lines = doc.split('\n');
  const begins = lines.flatMap((l, i) => (l.startsWith(BEGIN_MARKER) ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trim() === END_MARKER ? [i] : []));
  const [begin] = begins;
  const [end] = ends;
  if (begins.length !== 1 || ends.length !== 1 || begin === undefined || end === undefined || end < begin)
    throw new Error(
      `the page needs one line starting with "${BEGIN_MARKER}" and, after it, one "${END_MARKER}" line ` +
        `(found ${begins.length} and ${ends.length}): the block between them is what the bench writes`,
    );
  return [...lines.slice(0, begin), block.replace(/\n$/, ''), ...lines.slice(end + 1)].join('\n');
}

/** Rewrites the page's results block, formatted as the project's Prettier settings format it. */
export async function writeDocs(report: BenchReport, reportPath: string, docsPath: string): Promise<void> {
  const filepath = resolve(docsPath);
  const config = (await resolveConfig(filepath)) ?? {};
  const current = await readFile(filepath, 'utf8').catch((err: unknown) => {
    throw new Error(
      `cannot read ${docsPath}: the results block is written into an existing page with its markers ` +
        `(docs/benchmarks.md has them)`,
      { cause: err },
    );
  });
  const page = spliceResults(current, renderResults(report, relative(process.cwd(), reportPath)));
  await writeFile(filepath, await format(page, { ...config, filepath }));
}
