/** `--repeat n`: the same drill n times in a row, each verdict on a line, and the flake rate. */
import { verdictWord } from './report.js';
import type { DrillResult } from './run.js';

export interface RepeatSummary {
  runs: number;
  failed: number;
  lines: string[];
}

export function repeatSummary(results: readonly DrillResult[]): RepeatSummary {
  const lines = results.map((r, i) => {
    const { totals, verdict, fault } = r.report;
    const figures = `failed ${totals.failed}${fault ? ` (allowed ${fault.expectedFailures})` : ''}, dropped ${totals.dropped}`;
    const why = verdict.pass ? '' : ` — ${verdict.reasons.join('; ')}`;
    return `run ${i + 1}/${results.length}: ${verdictWord(r.report)}  ${figures}  ${r.files.json}${why}`;
  });
  const failed = results.filter((r) => !r.report.verdict.pass).length;
  lines.push(
    `flake rate: ${failed}/${results.length} FAIL (${Math.round((100 * failed) / Math.max(1, results.length))} %)`,
  );
  return { runs: results.length, failed, lines };
}
