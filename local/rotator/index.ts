export {
  inProcessReservation,
  RESERVATION_MODES,
  type InProcessReservation,
  type ReservationMode,
  type ReservedBy,
} from './in-process.js';
export {
  AWSCURRENT,
  AWSPENDING,
  formatReport,
  reserveOnEmulator,
  reserveWithRotateSecret,
  rotationFunctionArn,
  strategyOfFunction,
  RotationFailedError,
  RotationInProgressError,
  Rotator,
  type Reservation,
  type RotationReport,
  type RotatorOptions,
  type StepInvocation,
  type StepTiming,
} from './rotator.js';
export { attachStackRotator, type StackRotationOptions } from './stack-rotator.js';
