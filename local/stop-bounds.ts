/**
 * How long one Ctrl-C may take, in a healthy run, from the keypress to the command's last line (its
 * verdict, or `stack stopped`). Each bound is a few times what a quiet machine takes, so a busy one
 * stays within it; the terminal tests (test/terminal/) hold each command to its bound.
 */
export const STOP_BOUNDS_MS = {
  /**
   * `npm run demo`: each task's SHUTDOWN_DELAY_SECONDS (1 s, the stand-in for the load balancer's
   * deregistration delay; the tasks stop in parallel), its in-flight requests and pool (milliseconds
   * under the demo's gentle load), then PostgreSQL's fast shutdown (well under a second). About 2 s.
   */
  demo: 5000,
  /**
   * `npm run drill`: the load's requests in flight (milliseconds at the drill's rates, `--timeout-ms`
   * at worst), a rotation already under way (well under a second), the checks on what ran (metrics,
   * the write check, the password scan), the tasks' drain, and the two report files. About 1 s.
   */
  drill: 10_000,
  /** `npm run stack`: PostgreSQL's fast shutdown and the endpoint's close. Well under a second. */
  stack: 5000,
  /** `npm run bench`: stops at once (the app variants killed, PostgreSQL's immediate shutdown). */
  bench: 5000,
} as const;
