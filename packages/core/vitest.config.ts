import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // --expose-gc: the finalizer test collects unreachable tensors deterministically.
    execArgv: ['--expose-gc'],
  },
});
