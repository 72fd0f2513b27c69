/**
 * What the drill's parts share: its options, the outcome of a rotation and of each step, a task's
 * adoption of a new secret version, and the names and reports of the fault modes. Types and
 * constants only, imported by the options, the environment, the report and every fault, so none
 * of them needs another.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotationStrategy } from '../../rotation/public.js';

export const FAULT_NAMES = [
  'sm-outage',
  'kill-connections',
  'db-restart',
  'sigterm',
  'bad-secret',
  'single-user-window',
  'db-freeze',
  'connection-limit',
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export interface DrillOptions {
  strategy: RotationStrategy;
  rotations: number;
  durationSeconds: number;
  rate: number;
  tasks: number;
  seed: number;
  out: string;
  app: 'rotating' | 'naive';
  /** Already-running targets: no stack, no app processes are started. */
  targetUrls: string[];
  secretId?: string;
  masterSecretId?: string;
  scenario?: string;
  refreshSeconds: number;
  maxLifetimeSeconds: number;
  maxLateMs: number;
  maxInFlight: number;
  timeoutMs: number;
  /** Seconds after finishSecret that still count as the rotation window. */
  settleSeconds: number;
  /** After each rotation, terminate every app backend: both apps must open new connections at once. */
  killConnections: boolean;
  /** The load generator: the Node open model, or k6 with load/k6/rotation.js. */
  load: 'node' | 'k6';
  /** A fault mode (docs/drill.md): something that goes wrong during the run, with its own checks. */
  fault?: FaultName;
  /** DB_POOL_MAX of the started tasks (the app's default, or the fault's, otherwise). */
  poolMax?: number;
  /** max_connections of the embedded PostgreSQL (its default, 100, otherwise). */
  maxConnections?: number;
  /** Runs of the same drill, one after another, for the flake rate (default 1). */
  repeat: number;
  quiet: boolean;
}

export interface StepEvent {
  versionId: string;
  step: string;
  attempt: number;
  /** ms since the epoch */
  startedAt: number;
  durationMs: number;
  ok: boolean;
  errorType?: string;
}

export type { RotationOutcome } from '../../local/fleet.js';

/** Where the app's and the master secrets are, and a client that may read them (the admin's). */
export interface SecretsAccess {
  admin: SecretsManagerClient;
  secretId: string;
  masterSecretId: string | undefined;
}

export interface AdoptionEvent {
  target: number;
  atMs: number;
  versionId: string;
  username: string | null;
}

export interface FaultCheck {
  name: string;
  pass: boolean;
  detail: string;
}

export interface FaultReport {
  name: FaultName;
  description: string;
  /** Points on the timeline, ms from the start of the load. */
  events: { atMs: number; label: string }[];
  /** Failed requests this fault is allowed to cause (each one is named in `checks`); the rest fail the verdict. */
  expectedFailures: number;
  figures: Record<string, unknown>;
  /** Figures worth a line in the summary beside the checks. */
  notes?: string[];
  checks: FaultCheck[];
}
