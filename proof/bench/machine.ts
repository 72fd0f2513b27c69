/** The machine a report comes from: benchmark figures mean little without it. */
import os from 'node:os';
import { round } from './step.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  /** wrapper: in reports from when the wrapper variant ran on a Node of its own. */
  node: { bench: string; wrapper?: string | null };
  postgres: string;
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
}

export function loadAverage(): number[] {
  return os.loadavg().map((n) => round(n, 2));
}

export function describeMachine(input: { postgres: string; loadAtStart: number[] }): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: { bench: process.version },
    postgres: input.postgres,
    loadAverage: { start: input.loadAtStart, end: loadAverage() },
  };
}
