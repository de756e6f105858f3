// Unit, fixture, CLI and protocol tests. The benchmark-runner tests (test/bench) run
// afterwards on their own, and the end-to-end suites have their own scripts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/electron/**', 'test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
