/**
 * A command in a real pseudo-terminal, typed at as a person types.
 *
 * `script` (util-linux) allocates the terminal, runs the command there through bash as the
 * terminal's foreground job, and copies what this process writes to its stdin onto the terminal.
 * So `press(CTRL_C)` is the keypress: the terminal driver turns it into SIGINT for every process of
 * the foreground process group, exactly as in a terminal window. Chosen over node-pty (a native
 * addon, rebuilt for every Node line the tests run on) and tmux (a server to install and drive):
 * util-linux is on every Debian and Ubuntu machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { SAME_KEYPRESS_MS } from '../../local/interrupts.js';
import { REPO_ROOT } from './repo-cli.js';
import { descendantsOf, killSurvivors, watchDescendants, type ProcessRecord } from './process-tree.js';

export const CTRL_C = '\x03';

export interface TerminalRun {
  /** Everything the terminal showed so far (ANSI sequences kept, `\r\n` line ends turned into `\n`). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output, past or future; rejects if the command ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Types `keys` on the terminal. */
  press(keys: string): void;
  /** Every process the command has started that still runs (the shell and all below it). */
  processes(): ProcessRecord[];
  /** Every process the command starts from now on, until stop(), even if it ends meanwhile. */
  watchProcesses(): { stop(): ProcessRecord[] };
  /** The command's exit code (bash's, which is the command's) and the time it ended. */
  exited: Promise<{ code: number | null; at: number }>;
}

/** Runs `command` (a bash command line) from the repository root, in a terminal of its own. */
export function runInTerminal(command: string, env: Record<string, string> = {}): TerminalRun {
  const child = spawn('script', ['--quiet', '--return', '--flush', '--command', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SHELL: '/bin/bash', TERM: 'xterm-256color', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8').replace(/\r\n/g, '\n');
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => {
    child.once('close', (code) => {
      const at = Date.now();
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, at });
    });
  });

  return {
    output: () => text,
    async waitFor(pattern) {
      for (;;) {
        const found = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`\`${command}\` ended before its output matched ${pattern}:\n${text.slice(-3000)}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    press(keys) {
      child.stdin.write(keys);
    },
    processes: () => (child.pid === undefined ? [] : descendantsOf(child.pid)),
    watchProcesses: () => watchDescendants(child.pid ?? 0),
    exited,
  };
}

/** A person's second Ctrl-C: not the first one delivered twice (local/interrupts.ts). */
export async function pressCtrlCAgain(run: TerminalRun, firstPressedAt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, firstPressedAt + SAME_KEYPRESS_MS + 100 - Date.now()));
  run.press(CTRL_C);
}

export interface TerminalScope {
  /** A folder for the file's runs (reports, env files), removed after the file. */
  dir: string;
  /** Remembers processes of a run: any still running after the test is killed, pass or fail. */
  remember: (records: ProcessRecord[]) => ProcessRecord[];
}

/** For a test file of terminal runs: a scratch folder, and no process left to the next test. */
export function terminalScope(prefix: string): TerminalScope {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  let remembered: ProcessRecord[] = [];
  afterEach(() => {
    killSurvivors(remembered);
    remembered = [];
  });
  return {
    dir,
    remember: (records) => {
      remembered.push(...records);
      return records;
    },
  };
}
