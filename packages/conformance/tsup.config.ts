import { defineConfig } from 'tsup';

export default defineConfig({
  // index imports vitest (for test files); suite and reference do not.
  entry: { index: 'src/index.ts', suite: 'src/suite.ts', reference: 'src/reference/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest', '@llama-ops/core', 'fast-check'],
});
