import { defineConfig } from 'tsup';

export default defineConfig({
  // No entry imports vitest (runConformance finds the running one).
  entry: { index: 'src/index.ts', suite: 'src/suite.ts', reference: 'src/reference/index.ts', testing: 'src/testing.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest', '@llama-ops/core', 'fast-check'],
});
