import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start real servers; keep them from starving each other on small machines.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
