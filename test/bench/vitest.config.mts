// The benchmark-runner tests measure speed-ups with a real Python, so they run
// one file at a time, after the other suites, with no other test competing for the cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/bench/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
