/**
 * Four projects, one config:
 *  - `shaders`: Dawn's validating null backend compiles every shader variant (no Vulkan
 *    needed), plus the uniform layout helper, the "unavailable" paths and the browser
 *    negative control;
 *  - `swiftshader`: Dawn in Node on SwiftShader (Debian chromium's Vulkan driver; no f16);
 *  - `lavapipe`: Dawn in Node on Mesa 25 lavapipe (.cache/mesa, from
 *    scripts/setup-test-env.mjs), which has shader-f16: f16 storage is tested there (every
 *    f16 case of the kit; the first f32 case of each group, all of them in `swiftshader`).
 *    LD_LIBRARY_PATH must be set before the process starts: `env` here is passed to the
 *    forked test workers;
 *  - `browser`: headless Chromium with --enable-unsafe-webgpu (SwiftShader adapter, the
 *    driver of the `swiftshader` project): the conformance kit runs the first case of each
 *    group there (every kernel variant in a browser, about a quarter of the cases).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumBrowser } from '../../vitest.browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const mesa = join(root, '.cache', 'mesa');
// Mesa complains on every device creation without a valid XDG_RUNTIME_DIR.
const xdg = mkdtempSync(join(tmpdir(), 'llama-ops-xdg-'));
const gpuTests = ['test/gpu.test.ts', 'test/conformance.test.ts'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** The project's adapter has shader-f16: f16 must be offered and tested. */
    expectF16: boolean;
    /** Random cases per property in the conformance kit. */
    conformanceRuns: number;
    /** Which fixed cases of the kit run: all, or the first of each group (see conformance.test.ts). */
    conformanceCases: 'all' | 'first-of-each-group' | 'f16-all-f32-first-of-each-group';
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each project has `extends: true`: inline projects do not inherit the root's timeouts otherwise.
    projects: [
      {
        extends: true,
        test: {
          name: 'shaders',
          include: ['test/shaders.test.ts', 'test/uniforms.test.ts', 'test/unavailable.test.ts', 'test/negative-control.test.ts', 'test/options.test.ts', 'test/types.test.ts'],
          env: { XDG_RUNTIME_DIR: xdg },
        },
      },
      {
        extends: true,
        test: {
          name: 'swiftshader',
          include: gpuTests,
          env: { VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json', XDG_RUNTIME_DIR: xdg },
          provide: { expectF16: false, conformanceRuns: 8, conformanceCases: 'all' },
        },
      },
      {
        extends: true,
        test: {
          name: 'lavapipe',
          // lavapipe compiles each shader with LLVM at its first dispatch: 0.3-3 s per
          // attention variant on this 2-core machine now that the kernels keep their key
          // loops as loops (fully unrolled, one variant took 70-470 s). Mesa's shader cache
          // lives in .cache/, so a fresh checkout starts cold and repeated runs are warm.
          include: gpuTests,
          env: {
            LD_LIBRARY_PATH: [join(mesa, 'usr/lib/x86_64-linux-gnu'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
            VK_ICD_FILENAMES: join(mesa, 'lvp_icd.json'),
            XDG_RUNTIME_DIR: xdg,
            MESA_SHADER_CACHE_DIR: process.env.MESA_SHADER_CACHE_DIR ?? join(root, '.cache', 'mesa-shader-cache'),
            // No llvmpipe worker threads: on a loaded 2-core machine their hand-offs made
            // tiny dispatches take seconds; inline execution is steady.
            LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? '0',
          },
          // Every f16 case runs here (the only driver with shader-f16); f32 cases run in full
          // in the swiftshader project, so here only the first of each group.
          provide: { expectF16: true, conformanceRuns: 8, conformanceCases: 'f16-all-f32-first-of-each-group' },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: gpuTests,
          provide: { expectF16: false, conformanceRuns: 4, conformanceCases: 'first-of-each-group' },
          // The shared test Chromium (vitest.browser.mjs), with WebGPU on.
          browser: chromiumBrowser(playwright, { args: ['--enable-unsafe-webgpu'] }),
        },
      },
    ],
  },
});
