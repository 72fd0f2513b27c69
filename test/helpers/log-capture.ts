import type { Logger } from 'pino';
import { createLogger, SecretScrubber } from '../../app/src/logger.js';

/** A real pino logger (redaction and scrubbing included) whose output lines are kept for assertions. */
export function captureLogs(level: 'debug' | 'info' | 'warn' = 'debug'): {
  logger: Logger;
  scrubber: SecretScrubber;
  lines: string[];
  entries: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const scrubber = new SecretScrubber();
  const logger = createLogger({
    level,
    scrubber,
    destination: { write: (line: string) => void lines.push(line) },
  });
  return {
    logger,
    scrubber,
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
