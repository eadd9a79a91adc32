import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'node',
  // The runtimes are loaded lazily with import(), so a user of only one never loads the other.
  external: ['onnxruntime-node', 'onnxruntime-web', '@llama-ops/core'],
});
