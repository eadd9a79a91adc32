import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  // A binary, not a library: no .d.ts. Workspace packages stay external (tsup leaves
  // every dependency and optionalDependency unbundled), so a missing backend is found
  // at run time and reported, never baked in.
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
