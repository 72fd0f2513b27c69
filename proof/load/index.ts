/**
 * The load generators and what they share: the open model (requests sent at a fixed arrival rate
 * whatever the answers do, latency measured from each request's intended send time), the closed
 * model (a fixed number of clients, for saturation), the request mix (scenario.json), the targets
 * the load spreads over, and the checks on what it recorded (latency histograms, lost writes).
 */
export * from './closed-model.js';
export * from './histogram.js';
export * from './http-client.js';
export * from './loopback.js';
export * from './open-model.js';
export * from './records.js';
export * from './rng.js';
export * from './scenario.js';
export * from './targets.js';
export * from './writes.js';
export * from './k6.js';
