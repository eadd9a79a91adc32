/**
 * Storage of the __NAME__ backend. The skeleton keeps tensors in host `Float32Array`s so the
 * conformance kit can run from day one; replace these five functions with your device's
 * memory (GPU buffers, wasm heap offsets...) and change {@link __PASCAL__Storage} to match.
 */
import type { CopyKernelParams, DType } from '@llama-ops/core';

/** What a tensor of this backend holds. */
export type __PASCAL__Storage = Float32Array;

/** Store `data` as a new tensor (f32 only: see `capabilities.dtypes`). */
export function upload(data: Float32Array, _dtype: DType): __PASCAL__Storage {
  return Float32Array.from(data);
}

/** Zero-filled storage for `size` elements. */
export function allocate(size: number, _dtype: DType): __PASCAL__Storage {
  return new Float32Array(size);
}

/** Read `size` elements back, after every kernel queued so far. */
export async function read(storage: __PASCAL__Storage, size: number, _dtype: DType): Promise<Float32Array> {
  return storage.slice(0, size);
}

/** Release storage (host arrays are garbage-collected). */
export function free(_storage: __PASCAL__Storage): void {}

/** Copy a range between tensors (used by the KV cache's `append`). */
export function copy(p: CopyKernelParams<__PASCAL__Storage>): void {
  p.dst.set(p.src.subarray(p.srcOffset, p.srcOffset + p.count), p.dstOffset);
}
