/**
 * What Linux says about a process (/proc/<pid>): resident memory now (VmRSS) and at its peak
 * (VmHWM), and the CPU time it has used (utime + stime). null where /proc is not available.
 */
import { readFile } from 'node:fs/promises';
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
