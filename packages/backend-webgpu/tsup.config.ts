import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.mjs';

export default defineConfig(
  library({
    // The declarations name WebGPU's global types (GPUDevice...): point consumers at
    // @webgpu/types (a dependency) so they type-check without installing it themselves.
    // rollup-plugin-dts drops the reference in src/index.ts, so it is written here.
    dts: { banner: '/// <reference types="@webgpu/types" />' },
    // Dawn for Node is an optional peer, imported only when no navigator.gpu exists.
    external: ['webgpu', '@llama-ops/core'],
  }),
);
