import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    entry: ['src/cli.ts'],
    // A binary, not a library: no .d.ts. Workspace packages stay external (tsup leaves
    // every dependency and optionalDependency unbundled), so a missing backend is found
    // at run time and reported, never baked in.
    dts: false,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  }),
);
