import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  // The kernel modules (built by scripts/build-wasm.mjs) are embedded as base64 strings.
  loader: { '.wasm': 'base64' },
  async onSuccess() {
    // Also ship the raw modules, for tools that precompile or inspect them.
    for (const f of ['kernels.wasm', 'kernels-threads.wasm']) copyFileSync(`build/${f}`, `dist/${f}`);
  },
});
