/**
 * `@llama-ops/backend-cpu`: RMSNorm, RoPE and grouped-query attention in plain
 * TypeScript on `Float32Array`s. Runs anywhere JavaScript runs (Node, browsers, workers),
 * on one thread, with f32 storage and float64 accumulation.
 *
 * Importing this module registers nothing (it is side-effect free): call
 * {@link createBackend}, or let `@llama-ops/core`'s `createBackend('cpu')` import it on demand.
 *
 * @packageDocumentation
 */
import { checkBackendOptions, defineBackend, type Backend, type BackendCapabilities, type KernelBackend } from '@llama-ops/core';
import { version } from '../package.json';
import { copy } from './copy.js';
import { gqa } from './gqa.js';
import { createMemory, type CpuStorage } from './memory.js';
import { rmsnorm } from './rmsnorm.js';
import { rope } from './rope.js';

/** Options of {@link createBackend}. The cpu backend has none yet; reserved for the future. */
export interface CpuBackendOptions {}

const CAPABILITIES: BackendCapabilities = Object.freeze({
  dtypes: Object.freeze(['f32'] as const),
  threads: 1,
  views: true,
});

/**
 * The cpu kernel implementation (storage: `Float32Array`), for embedding in another
 * backend or for tests. Most users want {@link createBackend}.
 */
export function createCpuKernels(): KernelBackend<CpuStorage> {
  const memory = createMemory();
  return {
    name: 'cpu',
    version,
    capabilities: CAPABILITIES,
    upload: memory.upload,
    allocate: memory.allocate,
    read: memory.read,
    readInto: memory.readInto,
    readSync: memory.readSync,
    write: memory.write,
    hostView: memory.hostView,
    free: memory.free,
    dispose: memory.clear,
    copy,
    rmsnorm,
    rope,
    gqa,
  };
}

/**
 * Create a cpu backend.
 * @example
 * import { rmsnorm } from '@llama-ops/core';
 * import { createBackend } from '@llama-ops/backend-cpu';
 * const be = await createBackend();
 * const y = rmsnorm(be.tensor(x, [rows, hidden]), be.tensor(w, [hidden]));
 * console.log(await y.read());
 * @throws ValueError for any option key (the cpu backend takes none yet, so `{ threads: 2 }`
 *   is a mistake, not a request it could ignore) and for an `options` that is not an object.
 */
export async function createBackend(options: CpuBackendOptions = {}): Promise<Backend> {
  checkBackendOptions('cpu.createBackend', options, {});
  return defineBackend(createCpuKernels());
}

export type { CpuStorage } from './memory.js';
export { copy as copyKernel } from './copy.js';
export { gqa as gqaKernel } from './gqa.js';
export { rmsnorm as rmsnormKernel } from './rmsnorm.js';
export { rope as ropeKernel } from './rope.js';
