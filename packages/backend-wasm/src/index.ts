/**
 * `@llama-ops/backend-wasm`: RMSNorm, RoPE and grouped-query attention as WebAssembly
 * SIMD kernels (AssemblyScript), multi-threaded over shared memory where the platform
 * allows it, for Node and browsers.
 *
 * @packageDocumentation
 */
import { checkBackendOptions, defineBackend, UnsupportedError, ValueError, type Backend } from '@llama-ops/core';
import { WasmKernels } from './backend.js';
import { MAX_MEMORY_BYTES, WasmHeap } from './memory.js';
import { compileKernels, simdSupported, wasmModuleBytes, type WasmVariant } from './module.js';
import { KERNEL_NAMES } from './params.js';
import { ThreadPool } from './pool.js';
import { DEFAULT_MIN_PARALLEL_NS, Runtime, type KernelFn } from './runtime.js';
import { CTRL_WORDS } from './worker-source.js';

export { wasmModuleBytes, type WasmVariant };

/** Options of {@link createBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads the kernels may use, counting the calling thread. Default: the number of
   * logical cores (`navigator.hardwareConcurrency` / `os.availableParallelism()`), at
   * most 8. More than 1 needs `SharedArrayBuffer`: in a browser, a cross-origin isolated
   * page (`Cross-Origin-Opener-Policy: same-origin` and
   * `Cross-Origin-Embedder-Policy: require-corp`); without it the backend runs on one
   * thread and says why in `capabilities.notes`.
   */
  threads?: number;
  /**
   * Estimated single-thread work, in nanoseconds, below which a kernel runs on the
   * calling thread alone (default 150000: waking the pool costs ~26 µs). `0` sends every
   * kernel to the pool, which tests use to exercise the threaded paths on small cases.
   */
  minParallelWork?: number;
  /**
   * The most bytes the wasm memory may grow to: tensors, scratch and RoPE tables together.
   * Default and upper bound 4 GiB (the wasm32 limit); rounded up to whole 64 KiB pages, at
   * least 2 MiB. An allocation past it throws a `CapacityError` that names the op and counts
   * the live tensors (`be.memory()`); the backend works again once tensors are disposed.
   * Also reported as `be.memory().capacityBytes`.
   */
  maxMemoryBytes?: number;
}

/** Pages (64 KiB) the memory starts with; it grows as tensors are allocated. */
const INITIAL_PAGES = 16;
const PAGE_BYTES = 65536;
/** The smallest `maxMemoryBytes`: room for the static data, the parameter block and some tensors. */
const MIN_MEMORY_BYTES = 2 * 1024 * 1024;
const DEFAULT_MAX_THREADS = 8;

async function defaultThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let n = nav?.hardwareConcurrency;
  if (!n) {
    try {
      const specifier = 'node:os';
      const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
      n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    } catch {
      n = 1;
    }
  }
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, n));
}

/** Why shared memory cannot be used here, or null when it can. */
function sharedMemoryUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer is unavailable (in a browser: the page is not cross-origin isolated; serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (crossOriginIsolated === false), so wasm memory cannot be shared with workers';
  }
  return null;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
  const fns = KERNEL_NAMES.map((n) => exports[n] as KernelFn);
  return { fns, heapBase: (exports.heapBase as () => number)() };
}

/**
 * Create the wasm backend.
 * @throws ValueError for an unknown option (naming the nearest known one), when
 *   `options.threads` is not an integer in [1, 256], `options.minParallelWork` is not a
 *   number >= 0, or `options.maxMemoryBytes` is not a number in [2 MiB, 4 GiB].
 * @throws UnsupportedError when this engine has no WebAssembly SIMD (every current
 *   browser and Node >= 16 has it).
 * @example
 * import { rmsnorm } from '@llama-ops/core';
 * import { createBackend } from '@llama-ops/backend-wasm';
 * const be = await createBackend({ threads: 2 });
 * const x = be.tensor(new Float32Array(2 * 8).fill(1), [2, 8]);
 * const w = be.tensor(new Float32Array(8).fill(0.5), [8]);
 * console.log(await rmsnorm(x, w).read()); // ≈ 0.5 everywhere (1 / sqrt(1 + eps) · 0.5)
 */
export async function createBackend(options: WasmBackendOptions = {}): Promise<Backend> {
  const op = 'wasm.createBackend';
  checkBackendOptions(op, options, { threads: 'number', minParallelWork: 'number', maxMemoryBytes: 'number' });
  let threads: number;
  if (options.threads === undefined) threads = await defaultThreads();
  else if (Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 256) threads = options.threads;
  else throw new ValueError({ op, argument: 'options.threads', expected: 'an integer in [1, 256]', actual: String(options.threads) });
  const minParallelWork = options.minParallelWork ?? DEFAULT_MIN_PARALLEL_NS;
  if (!(minParallelWork >= 0)) {
    throw new ValueError({ op, argument: 'options.minParallelWork', expected: 'a number >= 0', actual: String(options.minParallelWork) });
  }
  const maxMemoryBytes = options.maxMemoryBytes ?? MAX_MEMORY_BYTES;
  if (!(maxMemoryBytes >= MIN_MEMORY_BYTES && maxMemoryBytes <= MAX_MEMORY_BYTES)) {
    throw new ValueError({ op, argument: 'options.maxMemoryBytes', expected: `a number of bytes in [${MIN_MEMORY_BYTES}, ${MAX_MEMORY_BYTES}] (2 MiB to 4 GiB)`, actual: String(options.maxMemoryBytes) });
  }
  const maxPages = Math.ceil(maxMemoryBytes / PAGE_BYTES);
  if (!simdSupported()) {
    throw new UnsupportedError({ op, argument: 'WebAssembly', expected: 'an engine with WebAssembly SIMD (fixed-width, 128-bit)', actual: 'no SIMD' });
  }

  const notes: string[] = [];
  if (threads > 1) {
    const why = sharedMemoryUnavailable();
    if (why === null) {
      try {
        const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maxPages, shared: true });
        const module = await compileKernels('threads');
        const { fns, heapBase } = instantiate(module, memory);
        const heap = new WasmHeap(memory, heapBase, maxPages * PAGE_BYTES);
        const ctrl = heap.alloc(CTRL_WORDS * 4);
        const pool = await ThreadPool.start(module, memory, ctrl, threads - 1, KERNEL_NAMES, fns);
        return defineBackend(new WasmKernels(new Runtime(heap, fns, pool, minParallelWork), notes));
      } catch (e) {
        notes.push(`threads: 1, the worker pool could not start (${e instanceof Error ? e.message : String(e)})`);
      }
    } else {
      notes.push(`threads: 1, as ${why}`);
    }
  }
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maxPages });
  const { fns, heapBase } = instantiate(await compileKernels('simd'), memory);
  return defineBackend(new WasmKernels(new Runtime(new WasmHeap(memory, heapBase, maxPages * PAGE_BYTES), fns, null), notes));
}
