/**
 * The open-model load generator: requests sent at a fixed arrival rate whatever the answers do,
 * latency measured from each request's intended send time, the request mix (scenario.json), the
 * targets it spreads over, and the checks on what it recorded (latency histograms, lost writes).
 */
export * from './histogram.js';
export * from './http-client.js';
export * from './loopback.js';
export * from './open-model.js';
export * from './records.js';
export * from './rng.js';
export * from './scenario.js';
export * from './targets.js';
export * from './writes.js';
