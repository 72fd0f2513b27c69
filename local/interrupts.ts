/**
 * Ctrl-C (SIGINT) and SIGTERM for the long-running commands (demo, drill, stack, bench): the first
 * signal starts an orderly stop, a second one stops at once. The commands' child processes run in
 * groups of their own (own-group.ts), so a terminal's Ctrl-C arrives here, not at every child.
 *
 * Under `npm run` one keypress can arrive twice: the terminal sends SIGINT to its whole foreground
 * group, npm included, and npm forwards what it gets to its script a moment later. A signal within
 * SAME_KEYPRESS_MS of the first is therefore that same keypress, not a second one.
 */
export interface InterruptHandlers {
  /** The first signal; `reason` is "Ctrl-C" or "SIGTERM". */
  stop(reason: string): void;
  /** A signal while stopping (`reason` "second Ctrl-C" or "second SIGTERM"), or SIGHUP. */
  stopNow(reason: string): void;
}

export const SAME_KEYPRESS_MS = 500;

export function onInterrupt(handlers: InterruptHandlers): void {
  let first: number | undefined;
  const handle = (signal: NodeJS.Signals): void => {
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    const now = performance.now();
    if (first === undefined) {
      first = now;
      handlers.stop(name);
    } else if (now - first > SAME_KEYPRESS_MS) {
      handlers.stopNow(`second ${name}`);
    }
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  // The terminal closed: nobody to report to, so at once, but through the exit hooks (PostgreSQL's
  // data is removed) rather than the default action's abrupt end.
  process.on('SIGHUP', () => {
    handlers.stopNow('terminal closed (SIGHUP)');
  });
}

/** The exit code of an interrupted command: 130, as a shell reports one that Ctrl-C ended (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;
