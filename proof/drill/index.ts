/**
 * The drill: open-model load against the app's tasks, forced rotations, optional faults, and a
 * verdict that fails on any failed or dropped request. `npm run drill` is main.ts; this is what
 * other parts of the proof (the bench) use of it: the environment it starts, its options, the
 * database and leak checks, the metrics scrape, the run itself and its report.
 */
export * from './drill-types.js';
export {
  appRoles,
  connectLocal,
  countPartialOrders,
  killAppConnections,
  masterClient,
  verifyWrites,
  withMaster,
} from './database-checks.js';
export {
  collectPasswords,
  loadTestTaskEnv,
  prepareEnvironment,
  type CapturedLog,
  type DrillEnvironment,
} from './environment.js';
export { countOccurrences, countPasswordsIn, isEmfRecord, scanForPasswords, type LeakScan } from './leaks.js';
export { parseDrillArgs, USAGE } from './options.js';
export { parseTaskMetrics, scrapeTask, type TaskMetrics } from './prometheus.js';
export type { DrillReport } from './report.js';
export { runDrill, type DrillResult } from './run.js';
