import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  // Dawn for Node is an optional peer, imported only when no navigator.gpu exists.
  external: ['webgpu', '@llama-ops/core'],
});
