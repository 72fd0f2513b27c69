import { defineConfig } from 'vitest/config';

/** Suites that drive containers (docker-compose under load, Testcontainers) run alone, after the rest. */
const CONTAINER_SUITES = ['test/containers/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Every test process runs under the egress guard: loopback only, anything else fails the test.
    setupFiles: ['test/helpers/egress-guard-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: CONTAINER_SUITES,
          // Integration suites start real servers; keep them from starving each other on small machines.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'containers',
          include: CONTAINER_SUITES,
          // A compose run under load measures latency and drops: nothing else may compete for 2 cores.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
