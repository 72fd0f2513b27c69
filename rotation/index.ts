/** Lambda entry of the rotation function (bundled to dist/rotation/index.mjs, handler `index.handler`). */
export { handler } from './handler.js';
export type { RotationEvent, StepResult } from './handler.js';
