import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    // index: the library API (runBench, formatMarkdown, renderSvg, ROWS) that apps/cli's
    // `llama-ops bench` drives; main: the standalone CLI (`llama-ops-bench`).
    entry: ['src/index.ts', 'src/main.ts'],
    dts: { entry: 'src/index.ts' },
    platform: 'node',
    // A hashbang is harmless in the library module and makes main.js executable.
    banner: { js: '#!/usr/bin/env node' },
    // Peers and backends are optional and loaded with import() at run time.
    external: ['onnxruntime-node', 'onnxruntime-web', 'webgpu', /^@llama-ops\//],
  }),
);
