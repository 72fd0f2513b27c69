/**
 * A fault mode of the drill (`--fault <name>`): something that goes wrong while the load runs and
 * rotations happen, what it is allowed to cost, and the checks of its own verdict.
 */
import type pg from 'pg';
import type { ReadinessObservation, RequestRecord, TargetPool } from '../../load/index.js';
import type { AppProcess } from '../../../local/app-process.js';
import type { EmbeddedStack } from '../../../local/embedded-stack.js';
import type { StepInvocation } from '../../../local/rotator/index.js';
import type {
  AdoptionEvent,
  DrillOptions,
  FaultCheck,
  FaultName,
  FaultReport,
  RotationOutcome,
} from '../drill-types.js';

export { FAULT_NAMES, type FaultCheck, type FaultName, type FaultReport } from '../drill-types.js';

/** What a fault can act on while the load runs (embedded mode only). */
export interface FaultContext {
  options: DrillOptions;
  stack: EmbeddedStack;
  targets: TargetPool;
  say(line: string): void;
  /** ms from the start of the load. */
  now(): number;
  /** Waits until `atMs` from the start of the load; false when the load is over by then. */
  until(atMs: number): Promise<boolean>;
  /** Terminates every backend of the app's login roles; how many. */
  killAppConnections(): Promise<number>;
  /** Runs `fn` on a connection as the master user; `appUser` is the app's first login role (`app`). */
  asMaster<T>(fn: (client: pg.Client, appUser: string) => Promise<T>): Promise<T>;
  /** Starts one more task with the same environment (a replacement, as a deployment does). */
  spawnTask(): Promise<{ target: number; task: AppProcess }>;
  /** The started tasks, by target index. */
  tasks(): readonly AppProcess[];
  /** Awaited after each rotation step: a fault can hold a rotation between two steps. */
  setStepHook(hook: ((step: StepInvocation) => Promise<void>) | undefined): void;
}

/** What the drill saw, for the fault's checks. */
export interface FaultEvidence {
  options: DrillOptions;
  records: readonly RequestRecord[];
  observations: readonly ReadinessObservation[];
  adoptions: readonly AdoptionEvent[];
  rotations: readonly RotationOutcome[];
  /** Request names of the scenario that write. */
  writeNames: ReadonlySet<string>;
  /** Log lines of each task, by target index. */
  taskLines: readonly (readonly string[])[];
  /** Load start, ms since the epoch. */
  t0: number;
  /** Orders in the database with no lines, or whose total is not the sum of its lines. */
  partialOrders(): Promise<number>;
}

export interface Fault {
  readonly name: FaultName;
  readonly description: string;
  /** Extra environment for the tasks the drill starts. */
  readonly taskEnv?: Record<string, string>;
  /** Rotation start times (ms from the start of the load) when the default spread does not suit. */
  rotationTimesMs?(options: DrillOptions): number[];
  /**
   * The shortest --duration (seconds) whose schedule fits the chosen rotations and refresh interval:
   * the drill refuses a shorter one (exit 2) instead of failing the app for its own schedule.
   */
  minDurationSeconds(options: DrillOptions): number;
  /** Runs alongside the load; must return once the load is over. */
  run(ctx: FaultContext): Promise<void>;
  evaluate(evidence: FaultEvidence): FaultReport | Promise<FaultReport>;
  /** Passwords the fault put into the secret itself, for the hygiene scan (unparseable ones included). */
  passwords?(): string[];
}

export const check = (name: string, pass: boolean, detail: string): FaultCheck => ({ name, pass, detail });

export const round = (ms: number): number => Math.round(ms);

/** The report of a fault whose action never took place: one failed check saying so. */
export const notRun = (name: FaultName, description: string, what: string, why: string): FaultReport => ({
  name,
  description,
  events: [],
  expectedFailures: 0,
  figures: {},
  checks: [check(what, false, why)],
});
