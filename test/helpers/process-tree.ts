/**
 * The processes a command started, from /proc (Linux): a snapshot of every descendant of a pid, and
 * which of them still run later. Each process is recorded with its start time, so a pid the kernel
 * hands to a new process meanwhile is not mistaken for a survivor. Descendants that moved to their
 * own process group or session are still found: they keep their parent until it exits.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessRecord {
  pid: number;
  ppid: number;
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat). */
  startTime: string;
  command: string;
}

function readRecord(pid: number): ProcessRecord | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // exited, not yet reaped
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return {
      pid,
      ppid: Number(fields[1]),
      startTime: fields[19] ?? '',
      command: cmdline || stat.slice(stat.indexOf('(') + 1, close),
    };
  } catch {
    return undefined; // gone while we looked
  }
}

function allProcesses(): ProcessRecord[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readRecord(Number(name)) ?? []);
}

/** Every live descendant of `root` (not `root` itself). */
export function descendantsOf(root: number): ProcessRecord[] {
  const all = allProcesses();
  const found: ProcessRecord[] = [];
  const parents = new Set([root]);
  // Parents precede children in no guaranteed order: repeat until a pass adds nothing.
  for (let added = true; added;) {
    added = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        added = true;
      }
    }
  }
  return found;
}

/**
 * Every descendant `root` has had while watched, looked up every `everyMs` (no event announces a
 * grandchild): for a command that may end before anyone could take a snapshot.
 */
export function watchDescendants(root: number, everyMs = 50): { stop(): ProcessRecord[] } {
  const seen = new Map<string, ProcessRecord>();
  const look = () => {
    for (const p of descendantsOf(root)) seen.set(`${p.pid}/${p.startTime}`, p);
  };
  look();
  const timer = setInterval(look, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}

/** The processes of `snapshot` that still run (same pid, same start time). */
export function survivors(snapshot: readonly ProcessRecord[]): ProcessRecord[] {
  return snapshot.filter((p) => readRecord(p.pid)?.startTime === p.startTime);
}

/**
 * Survivors of `snapshot` once `timeoutMs` has passed without all of them exiting; [] as soon as
 * none is left. No event says that an unrelated process exited, so this polls, bounded.
 */
export async function survivorsAfter(
  snapshot: readonly ProcessRecord[],
  timeoutMs: number,
): Promise<ProcessRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = survivors(snapshot);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGKILL to each process of `records` still running: a failed test must not leave them behind. */
export function killSurvivors(records: readonly ProcessRecord[]): void {
  for (const p of survivors(records)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** One line per process, its command cut to 120 characters: for messages, not for matching. */
export function describeProcesses(records: readonly ProcessRecord[]): string {
  return records.map((p) => `${p.pid} ${p.command.slice(0, 120)}`).join('\n');
}
