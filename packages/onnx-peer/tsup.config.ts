import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    platform: 'node',
    // The runtimes are loaded lazily with import(), so a user of only one never loads the other.
    external: ['onnxruntime-node', 'onnxruntime-web', '@llama-ops/core'],
  }),
);
