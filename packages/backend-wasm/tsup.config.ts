import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    // The kernel modules (built by scripts/build-wasm.mjs) are embedded as base64 strings.
    loader: { '.wasm': 'base64' },
    async onSuccess() {
      // Also ship the raw modules, for tools that precompile or inspect them.
      for (const f of ['kernels.wasm', 'kernels-threads.wasm']) copyFileSync(`build/${f}`, `dist/${f}`);
    },
  }),
);
