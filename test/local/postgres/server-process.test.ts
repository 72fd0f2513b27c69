import { describe, expect, it } from 'vitest';
import { readinessDetector } from '../../../local/postgres/server-process.js';

const READY_LINE = 'LOG:  database system is ready to accept connections\n';
const KNOCKING = 'FATAL:  the database system is starting up\n'.repeat(20);

describe("the server's ready line", () => {
  it('is seen with many more lines after it in the same chunk', () => {
    const isReady = readinessDetector();
    expect(isReady(`LOG:  starting PostgreSQL 18\n${READY_LINE}${KNOCKING}`)).toBe(true);
  });

  it('is seen when split between two chunks, and stays seen', () => {
    const isReady = readinessDetector();
    expect(isReady(`${KNOCKING}LOG:  database system is rea`)).toBe(false);
    expect(isReady('dy to accept connections\n')).toBe(true);
    expect(isReady(KNOCKING)).toBe(true);
  });

  it('is not seen before it comes', () => {
    const isReady = readinessDetector();
    expect(isReady(KNOCKING)).toBe(false);
    expect(isReady('LOG:  database system was shut down at 2026-12-06 23:00:00 UTC\n')).toBe(false);
  });
});
