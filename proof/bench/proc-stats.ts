/**
 * What Linux says about a process (/proc/<pid>): resident memory now (VmRSS) and at its peak
 * (VmHWM), and the CPU time it has used (utime + stime). null where /proc is not available.
 */
import { readdir, readFile } from 'node:fs/promises';
import { round } from './step.js';

export interface MemoryReading {
  rssMiB: number;
  /** The kernel's high-water mark of the resident set since the process started. */
  peakRssMiB: number;
}

async function read(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // not Linux, or the process is gone
  }
}

export async function readMemory(pid: number | undefined): Promise<MemoryReading | null> {
  const status = pid === undefined ? null : await read(`/proc/${pid}/status`);
  if (status === null) return null;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kib('VmRSS');
  const peak = kib('VmHWM');
  if (!Number.isFinite(rss) || !Number.isFinite(peak)) return null;
  return { rssMiB: round(rss / 1024), peakRssMiB: round(peak / 1024) };
}

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on every Linux Node runs on. */
const USER_HZ = 100;

/** CPU time (user + system) the process has used, in ms. */
export async function readCpuMs(pid: number | undefined): Promise<number | null> {
  const stat = pid === undefined ? null : await read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after the command name (which may contain spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / USER_HZ : null;
}

/**
 * CPU time the process's threads have run, in ms with nanosecond resolution: the sum of each
 * thread's /proc/<pid>/task/<tid>/schedstat run time. /proc/<pid>/stat counts in 10 ms ticks, too
 * coarse for a ratio over a few seconds; a thread that exited is no longer counted (Node's threads
 * live as long as the process). Falls back to readCpuMs where schedstat is not available.
 */
export async function readPreciseCpuMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  for (const tid of tids) {
    const schedstat = await read(`/proc/${pid}/task/${tid}/schedstat`);
    const runNs = Number(schedstat?.split(' ')[0]);
    if (schedstat === null || !Number.isFinite(runNs)) {
      if (tid === String(pid)) return readCpuMs(pid);
      continue; // a thread that exited between the listing and the read
    }
    ns += runNs;
  }
  return ns / 1e6;
}
