/**
 * A repository CLI run as a user runs it (`npm run bootstrap` is `tsx db-bootstrap/main.ts`): node
 * with tsx from node_modules, from the repository root, and the egress guard loaded first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EGRESS_GUARD_NODE_ARGS, readEgressReport, type EgressReport } from '../../proof/egress/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  egress: EgressReport;
}

/**
 * Runs `<script> ...args` under tsx with `env` and nothing else of this process's environment but
 * PATH and HOME. Both streams are pushed to `outputs` when the process ends, for a password-leak
 * check. The CLI runs under the egress guard (loopback only: these CLIs talk to local stand-ins);
 * a run that attempted anything else, or in which the guard did not arm, rejects.
 */
export function runRepoCli(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  outputs: string[],
): Promise<CliResult> {
  const egressReport = join(mkdtempSync(join(tmpdir(), 'cli-egress-')), 'egress.jsonl');
  const child = spawn(process.execPath, [...EGRESS_GUARD_NODE_ARGS, script, ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      EGRESS_GUARD_ALLOW: 'local',
      EGRESS_GUARD_REPORT: egressReport,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      outputs.push(stdout, stderr);
      const egress = readEgressReport([egressReport]);
      if (egress.guardedProcesses === 0 || egress.refused > 0)
        reject(
          new Error(
            `${script}: the egress guard ${egress.guardedProcesses === 0 ? 'did not arm' : `refused ${Object.keys(egress.refusedByDestination).join(', ')}`}\n${stderr}`,
          ),
        );
      else resolve({ code, stdout, stderr, egress });
    });
  });
}
