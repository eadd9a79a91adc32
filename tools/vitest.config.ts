import { defineConfig } from 'vitest/config';

// The release tests spawn pnpm/npm/esbuild/vitest as child processes; they are slow by
// nature (seconds each), so their limits are generous, and they run one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
