/** What the egress guard's report files say, for the drill's report and the tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Node options that load the guard ahead of an entry point (tsx first: the preload is TypeScript). */
export const EGRESS_GUARD_NODE_ARGS = [
  '--import',
  'tsx',
  '--import',
  fileURLToPath(new URL('./preload.ts', import.meta.url)),
];

export interface EgressReport {
  /** Processes in which the guard was armed (one `armed` line each). */
  guardedProcesses: number;
  /** Connection attempts the guard refused: anything but the allowed endpoints. */
  refused: number;
  refusedByDestination: Record<string, number>;
  /** The first refusal's stack, naming what asked for the connection. */
  firstRefusalStack: string[] | null;
  /** Allowed attempts by destination, from processes that exited normally. */
  allowedByDestination: Record<string, number>;
}

interface ReportLine {
  event: 'armed' | 'refused' | 'exit';
  destination?: string;
  stack?: string[];
  allowed?: Record<string, number>;
}

export function readEgressReport(files: readonly string[]): EgressReport {
  const report: EgressReport = {
    guardedProcesses: 0,
    refused: 0,
    refusedByDestination: {},
    firstRefusalStack: null,
    allowedByDestination: {},
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // never armed: counted as an unguarded process by the caller
    }
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      const l = JSON.parse(raw) as ReportLine;
      if (l.event === 'armed') report.guardedProcesses++;
      if (l.event === 'refused' && l.destination !== undefined) {
        report.refused++;
        report.refusedByDestination[l.destination] = (report.refusedByDestination[l.destination] ?? 0) + 1;
        report.firstRefusalStack ??= l.stack ?? [];
      }
      if (l.event === 'exit')
        for (const [d, n] of Object.entries(l.allowed ?? {}))
          report.allowedByDestination[d] = (report.allowedByDestination[d] ?? 0) + n;
    }
  }
  return report;
}

/** One line for a summary. */
export function egressLine(r: EgressReport): string {
  const refused = Object.entries(r.refusedByDestination)
    .map(([d, n]) => `${d} ×${n}`)
    .join(', ');
  const allowed = Object.entries(r.allowedByDestination)
    .map(([d, n]) => `${d} ×${n}`)
    .join(', ');
  return (
    `egress: ${r.guardedProcesses} guarded processes, ${r.refused} connections refused` +
    `${refused ? ` (${refused})` : ''}; allowed ${allowed || 'none recorded'}`
  );
}

/** Why a guarded run fails: refused attempts, or processes in which the guard never armed. */
export function egressProblems(r: EgressReport, processesStarted: number): string[] {
  const problems: string[] = [];
  if (r.refused > 0)
    problems.push(
      `${r.refused} connection attempts outside the configured endpoints (${Object.keys(r.refusedByDestination).join(', ')})`,
    );
  if (r.guardedProcesses < processesStarted)
    problems.push(`the egress guard armed in ${r.guardedProcesses} of ${processesStarted} processes`);
  return problems;
}
