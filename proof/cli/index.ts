/** What the proof's command lines (the drill, the bench) share: usage errors and progress lines. */
export { progressLines } from './progress-lines.js';
export { UsageError } from './usage-error.js';
