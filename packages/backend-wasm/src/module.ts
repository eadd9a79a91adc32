/**
 * The two compiled kernel modules, embedded in this bundle as base64 (tsup's base64
 * loader), so they load the same way in Node, in browsers and behind any bundler: no
 * asset URL to resolve, no fetch, no file system.
 */
import simdBase64 from '../build/kernels.wasm';
import threadsBase64 from '../build/kernels-threads.wasm';

/** Which build of the kernels: SIMD on one thread, or SIMD + threads on shared memory. */
export type WasmVariant = 'simd' | 'threads';

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The bytes of a kernel module (each imports exactly `env.memory`), for tools that want
 * to inspect, cache or precompile it.
 */
export function wasmModuleBytes(variant: WasmVariant): Uint8Array<ArrayBuffer> {
  return decode(variant === 'threads' ? threadsBase64 : simdBase64);
}

const compiled = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/** Compile (once per realm) and return the module of `variant`. */
export function compileKernels(variant: WasmVariant): Promise<WebAssembly.Module> {
  let m = compiled.get(variant);
  if (!m) {
    // Asynchronous: browsers refuse to compile modules over 4 KiB synchronously on the main thread.
    m = WebAssembly.compile(wasmModuleBytes(variant));
    compiled.set(variant, m);
    m.catch(() => compiled.delete(variant));
  }
  return m;
}

/** Whether this engine validates a module using SIMD (one `v128.const`). */
export function simdSupported(): boolean {
  // (module (func (result v128) v128.const i64x2 0 0))
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 11,
  ]);
  return WebAssembly.validate(bytes);
}
