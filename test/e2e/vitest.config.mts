// The real-VS-Code end-to-end suite (`npm run test:e2e`): code-server driven by
// Chromium. Not part of `npm test`; see test/e2e/editor.e2e.test.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    // beforeAll installs code-server on a first run and packages the extension.
    hookTimeout: 900_000,
    reporters: ['verbose'],
  },
});
