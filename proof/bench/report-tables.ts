/** A report as tables: the same cells for the terminal (summaryTable) and for docs/benchmarks.md. */
import { intervalText, type RatioEstimate, type Spread } from './stats.js';
import { VARIANTS } from './variants.js';
import { isRotationResult, type BenchReport, type VariantReport } from './report.js';

const fixed = (v: number, digits: number) => v.toFixed(digits);
const ms1 = (v: number | null) => (v === null ? '-' : v.toFixed(1));
/** "1.41 (1.38–1.45)": the median and the range over the trials. */
export function spreadCell(s: Spread | null, digits = 2): string {
  if (s === null) return '-';
  if (s.min === s.max) return fixed(s.median, digits);
  return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}
/** "1.02 × [0.98–1.05]": the median paired ratio and its 95 % interval. */
export function ratioCell(r: RatioEstimate | null, digits = 2): string {
  return r === null ? '-' : `${r.median.toFixed(digits)} × [${intervalText(r, digits)}]`;
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** The tables of a report: the same cells for the terminal and for docs/benchmarks.md. */
export function reportTables(report: BenchReport): Table[] {
  const o = report.options;
  const measured = report.variants.filter((v) => v.error === undefined && v.summary.trials > 0);
  const failedRow = (v: VariantReport, width: number) => [
    v.title,
    `could not run: ${v.error ?? 'no trial finished'}`,
    ...Array.from({ length: width - 2 }, () => ''),
  ];
  const rows = (width: number, cells: (v: VariantReport) => string[]) =>
    report.variants.map((v) => (measured.includes(v) ? cells(v) : failedRow(v, width)));

  const costHeader = [
    'variant',
    `CPU ms / req at ${o.rate} req/s`,
    'CPU ÷ baseline [95 %]',
    `req/s at saturation (${o.concurrency} in flight)`,
    'throughput ÷ baseline [95 %]',
    `p50 / p99 ms at ${o.rate} req/s`,
    'RSS peak MiB',
  ];
  const scaleHeader = [
    'variant',
    'ready in s',
    'SM calls at startup',
    'connections opened at startup',
    'most at once at startup',
    'extra connections in a swap',
    'SM calls / interval, steady',
  ];
  const swapExtra = (v: VariantReport) => {
    const r = v.rotations['alternating-users'];
    if (!isRotationResult(r) || r.connections.length === 0) return '-';
    return String(Math.max(...r.connections.map((c) => c.extra)));
  };
  const rotationHeader = ['variant', ...o.strategies.map((s) => `failed, ${s}`)];
  const sbs = report.sideBySide;
  const sideBySideTable: Table[] =
    sbs === null
      ? []
      : [
          {
            title:
              `CPU per request side by side (${sbs.rounds} rounds of fresh processes × ` +
              `${sbs.windows.length / Math.max(1, sbs.rounds)} windows of ${sbs.windowSeconds} s, ` +
              `all at ${sbs.rate} req/s at once; median (min–max) over the windows)`,
            header: [
              'variant',
              'CPU ms / req',
              'CPU ÷ baseline [95 %]',
              'RSS MiB',
              'RSS ÷ baseline',
              'failed',
            ],
            rows: sbs.variants.map((v) => [
              VARIANTS[v.name].title,
              spreadCell(v.cpuMsPerRequest, 3),
              v.name === 'baseline' ? '1' : ratioCell(v.ratio, 3),
              spreadCell(v.rssMiB, 0),
              v.name === 'baseline' ? '1' : v.rssRatio === null ? '-' : `${v.rssRatio.median.toFixed(2)} ×`,
              String(v.failed),
            ]),
          },
        ];
  const heavy = report.heavyRotations;
  const heavyTable: Table[] =
    heavy === null
      ? []
      : [
          {
            title:
              `This app under heavy load (alone, ${Math.round(heavy.settings.fraction * 100)} % of its saturation ` +
              `in this run, ${heavy.saturationRps} req/s: ${heavy.rate} req/s; ${heavy.settings.rotations} rotations per strategy)`,
            header: [
              'strategy',
              'failed + dropped',
              'p99 ms, windows / steady',
              'p99 ratio',
              'connections, peak / steady',
              'peak ratio',
              'opened per window',
            ],
            rows: heavy.strategies.map(({ strategy, result: r }) =>
              'error' in r
                ? [strategy, `could not run: ${r.error}`, '', '', '', '', '']
                : [
                    strategy,
                    `${r.failed + r.dropped} / ${r.scheduled}`,
                    `${ms1(r.latency.windowP99Ms)} / ${ms1(r.latency.steadyP99Ms)}`,
                    r.latency.ratio === null ? '-' : `${r.latency.ratio.toFixed(2)} ×`,
                    `${r.connections.peak} / ${r.connections.steady ?? '-'}`,
                    r.connections.peakOverSteady === null
                      ? '-'
                      : `${r.connections.peakOverSteady.toFixed(2)} ×`,
                    r.windows.map((w) => w.opened).join(', '),
                  ],
            ),
          },
        ];
  return [
    ...sideBySideTable,
    {
      title: `Cost, rotations off (median (min–max) of ${o.trials} interleaved trials per variant)`,
      header: costHeader,
      rows: rows(costHeader.length, (v) => {
        const s = v.summary;
        return [
          v.title,
          spreadCell(s.cpuMsPerRequest, 2),
          v.name === 'baseline' ? '1' : ratioCell(v.ratios.cpuPerRequest),
          spreadCell(s.saturationRps, 0),
          v.name === 'baseline' ? '1' : ratioCell(v.ratios.saturation),
          `${s.p50Ms?.median.toFixed(1) ?? '-'} / ${s.p99Ms?.median.toFixed(1) ?? '-'}`,
          spreadCell(s.peakRssMiB, 0),
        ];
      }),
    },
    {
      title: 'What a scale-out costs (per new process; median (min–max) over the trials)',
      header: scaleHeader,
      rows: rows(scaleHeader.length, (v) => {
        const s = v.summary;
        return [
          v.title,
          spreadCell(s.startupSeconds, 2),
          spreadCell(s.startupCalls, 0),
          spreadCell(s.startupConnectionsOpened, 0),
          spreadCell(s.startupConnectionsPeak, 0),
          swapExtra(v),
          s.secretsManager && s.secretsManager.total > 0 ? String(s.secretsManager.perRefreshInterval) : '0',
        ];
      }),
    },
    {
      title: `Rotations on (failed + dropped of the requests scheduled; ${o.rotations} rotations in ${o.rotationSeconds} s at ${o.rate} req/s)`,
      header: rotationHeader,
      rows: rows(rotationHeader.length, (v) => [
        v.title,
        ...o.strategies.map((strategy) => {
          const r = v.rotations[strategy];
          if (!isRotationResult(r)) return r ? 'error' : '-';
          const bad = r.totals.failed + r.totals.dropped;
          const note = v.underRotation === 'expected-to-fail' && bad > 0 ? ' (expected)' : '';
          return `${bad} / ${r.totals.scheduled}${note}`;
        }),
      ]),
    },
    ...heavyTable,
  ];
}

export function summaryTable(report: BenchReport): string {
  const out: string[] = [];
  for (const t of reportTables(report)) {
    const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    out.push(t.title, line(t.header), ...t.rows.map(line), '');
  }
  for (const t of report.targets) {
    const state = t.met === null ? 'UNDECIDED' : t.met ? 'MET' : 'MISSED';
    out.push(
      `target ${t.name}: ${state} — ${t.measured} (target ${t.target}${t.hard ? '' : '; informational without --strict'})`,
    );
  }
  out.push(report.verdict.pass ? 'verdict: PASS' : `verdict: FAIL (${report.verdict.reasons.join('; ')})`);
  return out.join('\n');
}
