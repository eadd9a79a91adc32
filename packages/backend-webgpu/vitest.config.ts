/**
 * Four projects, one config:
 *  - `shaders`: Dawn's validating null backend compiles every shader variant (no Vulkan
 *    needed), plus the "unavailable" paths and the browser negative control;
 *  - `swiftshader`: Dawn in Node on SwiftShader (Debian chromium's Vulkan driver; no f16);
 *  - `lavapipe`: Dawn in Node on Mesa 25 lavapipe (.cache/mesa, from
 *    scripts/setup-test-env.mjs), which has shader-f16: f16 storage is tested there.
 *    LD_LIBRARY_PATH must be set before the process starts: `env` here is passed to the
 *    forked test workers;
 *  - `browser`: headless Chromium with --enable-unsafe-webgpu (SwiftShader adapter).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const mesa = join(root, '.cache', 'mesa');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Mesa complains on every device creation without a valid XDG_RUNTIME_DIR.
const xdg = mkdtempSync(join(tmpdir(), 'llama-ops-xdg-'));
const gpuTests = ['test/gpu.test.ts', 'test/conformance.test.ts'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** The project's adapter has shader-f16: f16 must be offered and tested. */
    expectF16: boolean;
    /** Random cases per property in the conformance kit. */
    conformanceRuns: number;
    /** Run the attention tests (off by default on lavapipe: see below). */
    attention: boolean;
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'shaders',
          include: ['test/shaders.test.ts', 'test/unavailable.test.ts', 'test/negative-control.test.ts'],
          env: { XDG_RUNTIME_DIR: xdg },
        },
      },
      {
        test: {
          name: 'swiftshader',
          include: gpuTests,
          env: { VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json', XDG_RUNTIME_DIR: xdg },
          provide: { expectF16: false, conformanceRuns: 8, attention: true },
        },
      },
      {
        test: {
          name: 'lavapipe',
          // lavapipe's LLVM back end takes 5-45 s to compile each attention shader while
          // Mesa's shader cache is cold (warm, all of test/gpu.test.ts passes in ~8 s), too
          // slow for every variant on a fresh CI machine. So by default lavapipe runs
          // RMSNorm/RoPE/copy in f16 and f32 only; LLAMA_OPS_LAVAPIPE_ATTENTION=1 adds the
          // attention tests and the conformance kit (with f16 attention).
          include: process.env.LLAMA_OPS_LAVAPIPE_ATTENTION === '1' ? gpuTests : ['test/gpu.test.ts'],
          env: {
            LD_LIBRARY_PATH: [join(mesa, 'usr/lib/x86_64-linux-gnu'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
            VK_ICD_FILENAMES: join(mesa, 'lvp_icd.json'),
            XDG_RUNTIME_DIR: xdg,
            // No llvmpipe worker threads: on a loaded 2-core machine their hand-offs made
            // tiny dispatches take seconds; inline execution is steady.
            LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? '0',
          },
          provide: { expectF16: true, conformanceRuns: 8, attention: process.env.LLAMA_OPS_LAVAPIPE_ATTENTION === '1' },
        },
      },
      {
        test: {
          name: 'browser',
          include: gpuTests,
          provide: { expectF16: false, conformanceRuns: 4, attention: true },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            instances: [{ browser: 'chromium' }],
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  '--no-sandbox',
                  '--enable-unsafe-webgpu',
                  '--disable-quic',
                  '--no-first-run',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                ],
              },
            }),
          },
        },
      },
    ],
  },
});
