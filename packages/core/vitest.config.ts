import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Installed-package stand-ins for the registry's `import(name)` (see test/packages/README.md). */
const installed = (file: string) => fileURLToPath(new URL(`./test/packages/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@llama-ops/backend-plainjs': installed('backend-plainjs.ts'),
      'llama-ops-backend-foo': installed('llama-ops-backend-foo.ts'),
      '@acme/llama-ops-backend-foo': installed('llama-ops-backend-foo.ts'),
      '@llama-ops/backend-no-create': installed('no-create-backend.ts'),
      '@llama-ops/backend-broken': installed('broken-import.ts'),
      'llama-ops-backend-not-a-backend': installed('not-a-backend.ts'),
      'llama-ops-backend-rejects': installed('rejects.ts'),
      // The real cpu package resolves from the workspace root; webgpu plays a built-in that is not installed.
      '@llama-ops/backend-webgpu': installed('not-installed-webgpu.ts'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // --expose-gc: the finalizer test collects unreachable tensors deterministically.
    execArgv: ['--expose-gc'],
  },
});
