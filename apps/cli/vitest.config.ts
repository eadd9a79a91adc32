import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests spawn the built binary; a few commands (verify, bench) take seconds on 2 cores.
    testTimeout: 60_000,
    // Subprocess-heavy files share 2 cores with the rest of CI: run them one at a time.
    fileParallelism: false,
  },
});
