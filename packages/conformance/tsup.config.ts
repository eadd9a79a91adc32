import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    // No entry imports vitest (runConformance finds the running one).
    entry: { index: 'src/index.ts', suite: 'src/suite.ts', reference: 'src/reference/index.ts', testing: 'src/testing.ts' },
    external: ['vitest', '@llama-ops/core', 'fast-check'],
  }),
);
