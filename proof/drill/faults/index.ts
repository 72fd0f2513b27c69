/** The drill's fault modes by name (docs/drill.md, "Fault modes"). */
import { badSecret } from './bad-secret.js';
import { connectionLimit } from './connection-limit.js';
import { dbFreeze } from './db-freeze.js';
import { dbRestart } from './db-restart.js';
import type { Fault, FaultName } from './fault.js';
import { killConnections } from './kill-connections.js';
import { sigterm } from './sigterm.js';
import { singleUserWindow } from './single-user-window.js';
import { smOutage } from './sm-outage.js';

export { FAULT_NAMES, type Fault, type FaultName, type FaultReport } from './fault.js';

const FACTORIES: Record<FaultName, () => Fault> = {
  'sm-outage': smOutage,
  'kill-connections': killConnections,
  'db-restart': dbRestart,
  sigterm,
  'bad-secret': badSecret,
  'single-user-window': singleUserWindow,
  'db-freeze': dbFreeze,
  'connection-limit': connectionLimit,
};

export function createFault(name: FaultName): Fault {
  return FACTORIES[name]();
}
