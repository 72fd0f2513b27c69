/**
 * docs/benchmarks.md, generated from a bench report (`npm run bench -- --write-docs`, or
 * `--from <report.json>` without a run): the table, the machine, the command, the definitions, what
 * each variant is, what happened under rotation, and what the figures can and cannot say.
 */
import { writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { RotationStrategy } from '../../rotation/public.js';
import {
  CPU_TARGET,
  DEFINITIONS,
  GAUGE_BOUNDS,
  MIN_ROUNDS_TO_DECIDE,
  spreadCell,
  isRotationResult,
  measuredTrials,
  MIN_PAIRS_TO_DECIDE,
  ratioCell,
  reportTables,
  THROUGHPUT_TARGET,
  type BenchReport,
  type VariantReport,
} from './report.js';

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

/** The wrapper's section: how it works (from its code, v2.0.1) and what this run measured of it. */
function wrapperSection(report: BenchReport): string[] {
  const w = report.variants.find((v) => v.name === 'wrapper');
  if (!w) return [];
  const base = report.variants.find((v) => v.name === 'baseline');
  const run = (strategy: RotationStrategy) => {
    const r = w.rotations[strategy];
    return isRotationResult(r) ? r : undefined;
  };
  const single = run('single-user');
  const alternating = run('alternating-users');
  const figure = (r: ReturnType<typeof run>) =>
    r
      ? `${r.totals.failed + r.totals.dropped} of ${r.totals.scheduled} requests failed, with ` +
        `${r.secretsManager.byOperation.GetSecretValue ?? 0} GetSecretValue calls during the ${r.totals.durationSeconds} s run`
      : 'not measured in this run';
  const cpuW = w.summary.cpuMsPerRequest;
  const cpuB = base?.summary.cpuMsPerRequest;
  const cpu =
    cpuW && cpuB
      ? ` (a median ${cpuW.median.toFixed(2)} ms of CPU per request against the baseline\u2019s ` +
        `${cpuB.median.toFixed(2)}, ${ratioCell(w.ratios.cpuPerRequest)}` +
        (w.node === base.node ? ')' : `, on Node ${w.node} against ${base.node})`)
      : '';
  const rss = (v: VariantReport | undefined) => v?.summary.rssMiB;
  const served = (v: VariantReport | undefined) => v?.summary.requestsServed;
  const leak =
    rss(w) && rss(base) && served(w) && served(base)
      ? ` (resident memory at the end of a trial, median: ${Math.round(rss(w)?.median ?? 0)} MiB after ` +
        `${served(w)?.median ?? 0} requests, the baseline ${Math.round(rss(base)?.median ?? 0)} MiB after ` +
        `${served(base)?.median ?? 0})`
      : '';
  return [
    '## The AWS Advanced NodeJS Wrapper: what it can and cannot do',
    '',
    'How it works, from its code (2.0.1, `node_modules/aws-advanced-nodejs-wrapper/dist`): the `secretsManager` ' +
      'plugin reads the secret (GetSecretValue, AWSCURRENT) the first time a connection is opened and caches ' +
      'username and password for the whole process; it never polls. When a login is refused ("password ' +
      'authentication failed") it reads the secret again and tries once more. It never looks at AWSPENDING or ' +
      'AWSPREVIOUS. `AwsPgPoolClient.connect()` builds a complete wrapper client per checkout (plugin chain, and so a ' +
      'new secretsManager plugin with a new SecretsManagerClient) and takes a physical connection from an internal ' +
      'pg.Pool, held in a process-wide cache keyed by host and **user name**; that pool is created with the password ' +
      'of the first connection made for the key and keeps it.',
    '',
    `- **Rotations off: it works.** No Secrets Manager call after startup. It costs more CPU per request than the ` +
      `plain pool${cpu}: a CPU profile (\`--cpu-prof\`) puts the difference in the per-checkout client ` +
      'construction (`AwsClient.setup` → `PluginManager.init` → `new AwsSecretsManagerPlugin` → `new ' +
      'SecretsManagerClient`), not in the database work (it sends the same statements for a request as the others).',
    `- **Memory grows with every request**${leak}. \`PluginManager.init\` adds each plugin instance to a ` +
      'process-wide set (`PluginManager.PLUGINS`), emptied only by `PluginManager.releaseResources()`, which the ' +
      'documentation says to call when the application ends; and `AwsPgPoolClient.connect()` builds a new plugin ' +
      'chain per checkout. So every checkout keeps a secretsManager plugin, its SecretsManagerClient and the client ' +
      'it belongs to alive for the life of the process (in a separate check at 300 req/s the used heap grew by about ' +
      '24 MiB per 1000 requests).',
    `- **Single user: it cannot follow the rotation** (${figure(single)}). The password of the user its pool ` +
      'belongs to changes; the pool keeps the old one. From the first new physical connection on (max lifetime, idle ' +
      'timeout, a dropped connection) the login is refused, the plugin reads the new password and asks the same pool ' +
      'again (same key: same user), which logs in with the old password again. Every request that needs a new ' +
      'connection fails for as long as the process lives, and each one costs a GetSecretValue call (no backoff, no ' +
      'sharing between concurrent requests).',
    `- **Alternating users: it fails from the rotation that changes its own user\u2019s password until the ` +
      `next one** (${figure(alternating)}). The first rotation gives the other user a new password and leaves its ` +
      'own working; the second changes its own user\u2019s password, with the same result as a single-user ' +
      'rotation for every request that needs a new connection; only the rotation after that, which makes the other ' +
      'user current (a new pool key, so a new pool with the right password), ends it. With rotations days apart ' +
      'that is every other rotation period.',
    '- Packaging, as found: the package root (`aws-advanced-nodejs-wrapper`) cannot be imported without ' +
      '`@aws-sdk/credential-providers`, which it does not depend on (its Blue/Green plugin imports the IAM plugin ' +
      'statically), so `AwsPoolConfig` is built as a plain object of its shape; `aws-advanced-nodejs-wrapper/pg` does ' +
      'not export `AwsPoolConfig` although the pool documentation imports it from there; the type declarations ' +
      're-export through extensionless paths that TypeScript\u2019s NodeNext resolution cannot follow (the few members ' +
      'used are typed in `proof/bench/wrapper-app/wrapper-database.ts`). `wrapperConnectTimeout` does not reach the ' +
      'internal pool (the pool documentation lists `connectionTimeoutMillis` as not supported): a request waits for ' +
      'a pooled connection as long as it takes.',
    '',
  ];
}

export function renderDocs(report: BenchReport, reportPath: string): string {
  const o = report.options;
  const m = report.machine;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    '<!-- Generated by `npm run bench -- --write-docs` (or `--from <report.json>`): edit proof/bench/docs.ts, not this file. -->',
  );
  out.push('');
  out.push(
    'Four ways to serve the same API, measured in one run on one machine: the same Fastify app and routes, the same ' +
      'PostgreSQL, the same request mix (`proof/load/scenario.json`), the same load generator. Rotations off, what ' +
      'each variant costs: CPU per request with the variants running side by side (the figure that can tell a few ' +
      'percent), then throughput at saturation and what a new process costs to start, from repeated interleaved ' +
      'trials with their spread. Rotations on, what a password or user change does to each; then this app alone, ' +
      'rotated at 70 % of its saturation, and through many pool swaps with its heap watched.',
  );
  out.push('');
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
  out.push(...PROFILE_SECTION);
  out.push(...wrapperSection(report));
  out.push('## The machine');
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
  out.push(
    'The load generator, the Secrets Manager endpoint and the rotation function run in the bench process, on the ' +
      'same cores as the app process and PostgreSQL. Absolute figures are this machine\u2019s; compare ratios within ' +
      'one run.',
  );
  out.push('');
  out.push('## The command');
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
  out.push('## The variants');
  out.push('');
  for (const v of report.variants) out.push(`- **${v.title}** (Node ${v.node}): ${v.description}`);
  out.push('');
  out.push(
    'Each trial and each rotation run gets a fresh process of the variant, after the previous one exited. ' +
      'Migrations are applied once, by the bench, before any variant starts.',
  );
  out.push('');
  out.push('## Definitions');
  out.push('');
  out.push(
    table(
      ['term', 'definition'],
      // The wording is this code's, like the rest of the page; the report keeps the one it was run with.
      Object.entries(DEFINITIONS).map(([k, v]) => [words(k), v]),
      true,
    ),
  );
  out.push('');
  out.push(...noiseSection(report));
  out.push(...STATIC_SECTIONS);
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
  return ['## How long each part takes', '', table(['part', 'time'], rows), ''];
}

/** How the cost figures stand up to a noisy machine, with this run's own noise figures. */
function noiseSection(report: BenchReport): string[] {
  const naive = report.variants.find((v) => v.name === 'naive');
  const pair = report.sideBySide?.variants.find((v) => v.name === 'naive')?.ratio ?? null;
  const trialsGauge =
    naive && (naive.ratios.saturation || naive.ratios.cpuPerRequest)
      ? ` In this run\u2019s trials the naive app, which serves exactly as the baseline does, measured ` +
        `${ratioCell(naive.ratios.cpuPerRequest)} the baseline\u2019s CPU per request and ` +
        `${ratioCell(naive.ratios.saturation)} its throughput at saturation`
      : '';
  const pairGauge =
    pair !== null ? `; side by side, the same pair measured ${ratioCell(pair, 3)}.` : trialsGauge ? '.' : '';
  return [
    '## Figures on a shared machine',
    '',
    'A 2-core machine that also runs the load generator and PostgreSQL (and whatever else runs there: see the load ' +
      'average above) moves any single measurement by more than the few percent that matter here. Trials one after ' +
      'another meet different minutes of the machine: across three earlier full runs of the same code, this app\u2019s ' +
      'CPU per request in the trials came out 0.97, 1.05 and 1.11 × the baseline\u2019s, and ±3 % would have needed ' +
      'about ten times the trials. Processes running at the same time meet the same minutes. So CPU per request is ' +
      'measured side by side: baseline, this app and naive at once, the same requests at the same rate from one ' +
      'generator, CPU read over the same seconds, the ratio taken per window; several rounds of fresh processes, ' +
      'because two processes of the same code differ by about a percent on their own; a 95 % interval bootstrapped ' +
      'by round, then by window. The naive app is the identical pair: the same plain pool and the same modules as ' +
      'the baseline, its secret given in the environment as ECS\u2019s `secrets` block gives it: the run decides the CPU target (upper bound ≤ ' +
      `${CPU_TARGET}) only when that pair\u2019s interval lies within ${GAUGE_BOUNDS[0]}–${GAUGE_BOUNDS[1]}, and with at least ` +
      `${MIN_ROUNDS_TO_DECIDE} rounds and ${MIN_PAIRS_TO_DECIDE} windows.${trialsGauge}${pairGauge}`,
    '',
    'Throughput at saturation, startup and memory still come from the interleaved trials (each round runs every ' +
      'variant once, in a rotated order; the ratio to the baseline is taken per round, with a bootstrap 95 % ' +
      'interval of the median pair): saturating two processes at once would measure how they share the cores. A ' +
      'ratio is read by its interval: containing 1, no measurable difference; a target is met only when the whole ' +
      `interval is on its side (throughput: lower bound ≥ ${THROUGHPUT_TARGET}), missed when the whole interval is ` +
      'on the other side, and otherwise undecided. Fewer than ' +
      `${MIN_PAIRS_TO_DECIDE} pairs decide nothing (the quick run has 2). To see where an app\u2019s time goes, ` +
      'profile it: `--cpu-prof <dir>` writes a CPU profile of each variant\u2019s first trial. The cost targets and ' +
      'the heavy-load p99 decide the exit code only with `--strict` (for a quiet, dedicated machine). Zero failed ' +
      'requests under rotation, the connections held during a swap, the heap guard and the Secrets Manager call ' +
      'budget are exact, and always decide it.',
    '',
  ];
}

/** p99 by second: the median second's, and the worst second of each rotation window. */
function perSecondLine(
  perSecond: readonly (number | null)[],
  windows: readonly { fromSeconds: number; toSeconds: number }[],
): string {
  const known = perSecond.filter((p): p is number => p !== null);
  if (known.length === 0) return '';
  const sorted = [...known].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const worst = windows.map((w) => {
    const inWindow = perSecond
      .slice(Math.floor(w.fromSeconds), Math.ceil(w.toSeconds))
      .filter((p): p is number => p !== null);
    return inWindow.length > 0 ? Math.max(...inWindow).toFixed(1) : '-';
  });
  return `p99 by second: ${median.toFixed(1)} ms the median second, the worst second of each window ${worst.join(', ')} ms`;
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
      `${heavy.saturationRps} req/s its trials reached at saturation in this run. A pool swap (alternating users) ` +
      'warms a quarter of the connections the old pool has in use (at least one), swaps, and lets the old pool ' +
      'serve what was queued on it; the new pool opens one connection for each the old one closes, so the two ' +
      'together hold the pool size plus the warmed ones. A single-user rotation changes no pool: new connections ' +
      'read the new password.',
    '',
    ...lines,
    '',
    'The window p99 is the p99 of every request in the windows, so one slow second decides it. Under alternating ' +
      'users the slow seconds are the swaps\u2019: the new pool opens its connections (about 15 a window: the warmed ' +
      'quarter, then one for each the old pool closes) while the load keeps coming, each a new backend and a ' +
      'SCRAM login on the same two cores. Under single user nothing is swapped, and its slow seconds are the ' +
      'machine\u2019s (compare the median second).',
    '',
  ];
}

/** Resident memory side by side, and the heap across many pool swaps. */
function memorySection(report: BenchReport): string[] {
  const sbs = report.sideBySide;
  const heap = report.heapGuard;
  const out = ['## Memory', ''];
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
 * Where this app's CPU per request goes against the baseline's, from CPU profiles. Measured by hand
 * (the commands are in the text), not by the run that wrote this page.
 */
const PROFILE_SECTION: string[] = [
  '## Where the CPU goes',
  '',
  'CPU profiles (`--cpu-prof`, 100 µs sampling) of one trial each at 200 req/s, four interleaved pairs of this ' +
    'app before and after its steady path was made as cheap as pg-pool\u2019s, and the baseline in the same runs; ' +
    'self time of the main thread in the steady seconds, per request, and as a share of its busy time. Absolute ' +
    'figures move ±30 % with what else the machine ran; the shares and the pool\u2019s own lines are the ones to read.',
  '',
  '| where | baseline | this app before | this app after |',
  '| --- | ---: | ---: | ---: |',
  '| the database layer: `rotating-pool.ts` (with the ceiling and the single flight); the baseline\u2019s `read` / `transaction` | 5.1 µs | 30.5 µs (1.5 %) | 12.5 µs (0.7 %) |',
  '| pg-pool | 19.0 µs (1.0 %) | 19.8 µs (1.0 %) | 16.4 µs (1.0 %) |',
  '| pg: client, protocol, types | 7.9 % | 7.6 % | 7.5 % |',
  '| Fastify and its plugins | 10.2 % | 10.1 % | 9.2 % |',
  '| pino, redaction, the scrubber | 5.8 % | 5.2 % | 5.5 % |',
  '| prom-client (the request histogram) | 1.2 % | 1.2 % | 1.1 % |',
  '| Node: http, net, streams, timers | 10.1 % | 11.3 % | 11.2 % |',
  '| garbage collection | 3.8 % | 3.8 % | 3.9 % |',
  '',
  'Inside the pool, per checkout, before → after: the checkout wrapper (an async function, its promise, two ' +
    'closures, an `error` listener added and removed, a Map entry for the stall scan) is gone, 13.7 → 0.6 µs: ' +
    'one `error` listener per connection for its life, the checkout time stored on the client for the one ' +
    'stall-scan timer per pool, `read` / `transaction` / `session` releasing the client themselves; the wait for ' +
    'a credential recovery is a property read when none is under way (2.8 → 0.7 µs); the ceiling relaxes in the ' +
    'stall scan instead of on every checkout. What is left per checkout beyond pg-pool\u2019s: one async frame ' +
    '(`#acquire`, 5.5 µs, its retry loop for refused logins and capacity) and two clock reads. The ' +
    'per-statement timeout is pg\u2019s own `query_timeout` (a timer per statement, which the baseline does not ' +
    'set).',
  '',
  'Side by side, per thread (`/proc/<pid>/task/*/schedstat`, 40 s at 120 req/s): the main thread 1.6–3.7 % ' +
    'above the baseline\u2019s, V8\u2019s worker threads (concurrent marking and compilation) 7–21 % above on a ' +
    'tenth of the total. Between requests this app has its health cycle: idle for 61 s with a 30 s interval it ' +
    'used 398 ms of CPU against the baseline\u2019s 344 ms (about 0.9 ms a second, 0.7 % of the CPU at 120 ' +
    'req/s); a process\u2019s first DescribeSecret runs cold SDK code once, which is why the side-by-side warm-up ' +
    'outlasts the first cycle.',
  '',
  'What the remaining 4 % is made of, measured side by side with one change each (4 rounds): a baseline that ' +
    'used the AWS SDK once at startup (one DescribeSecret, then the client destroyed, as the naive app did ' +
    'before it got its secret in the environment) measured 1.019 × [0.991–1.037]; a baseline that made one ' +
    'plain `node:http` request instead measured 0.988 × [0.976–1.014]. So about 2 % is the SDK\u2019s code having ' +
    'run in the process (its modules, the heap they keep: idle, after a GC, the baseline holds 27.7 MiB, this ' +
    'app 29.4), not the HTTP client, and not work per request. The health cycle is the next part: idle, the ' +
    'app used 6.7 ms of CPU a second with no cycle due and 11.0 with one every 2 s, about 9 ms a cycle when ' +
    'warm, more when its code has gone cold between cycles 30 s apart. The checkout\u2019s async frame and ' +
    'pg\u2019s statement timer are the rest.',
  '',
  'Common to every variant, and so not in the ratios: @fastify/helmet builds helmet\u2019s middleware on every ' +
    'request (about 2.5 % of busy time); logging about 6 % (two lines a request at info). The bench runs the ' +
    'TypeScript through tsx, which wraps each named function expression in `__name()`; the image runs tsc\u2019s ' +
    'output, without it.',
  '',
];

const STATIC_SECTIONS = [
  '## Running it',
  '',
  '```sh',
  'npm run bench                         # the full run (about 15 minutes here), writes reports/bench-<time>.json',
  'npm run bench -- --quick              # the CI version (about 3 minutes)',
  'npm run bench -- --trials 9           # narrower intervals, longer run',
  'npm run bench -- --write-docs         # a full run, then this file from its report',
  'npm run bench -- --from reports/bench-<time>.json   # only this file, from a report',
  'npm run bench -- --variants baseline,this-app,naive --strategies none --strict',
  '```',
  '',
  'Exit code: `0` this app met its targets, `1` it missed one (the cost targets and the heavy-load p99 only with `--strict`), `2` bad ' +
    'options, `3` the bench could not run. Every variant runs on the bench\u2019s own Node (the wrapper needs 22.9 or ' +
    'newer, within engines.node).',
  '',
  '`test/proof/bench/bench-e2e.test.ts` runs a quick bench in CI and fails if this app has any failed request under either ' +
    'strategy or in a trial; `test/proof/bench/stats.test.ts` checks the statistics.',
];

/** Written as the project's Prettier settings format it, so `npm run lint` accepts the file as it is. */
export async function writeDocs(report: BenchReport, reportPath: string, docsPath: string): Promise<void> {
  const filepath = resolve(docsPath);
  const config = (await resolveConfig(filepath)) ?? {};
  const text = await format(renderDocs(report, relative(process.cwd(), reportPath)), { ...config, filepath });
  await writeFile(docsPath, text);
}
