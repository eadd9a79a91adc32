/**
 * Storage of the cpu backend: every tensor is a plain `Float32Array` on the JS heap.
 * There is nothing to queue, so kernels run eagerly and `read` only copies; freeing is
 * left to the garbage collector (a tensor's array is unreachable once it is disposed).
 */
import type { DType } from '@llama-ops/core';

/** The storage handle of the cpu backend. */
export type CpuStorage = Float32Array;

/** A private copy of `data`: the caller may keep mutating its array. */
export function upload(data: Float32Array, _dtype: DType): CpuStorage {
  return data.slice();
}

/** Zero-filled storage (typed arrays are zero-initialised). */
export function allocate(size: number, _dtype: DType): CpuStorage {
  return new Float32Array(size);
}

/** A copy, so later kernels writing into `storage` cannot change what the caller got. */
export function read(storage: CpuStorage, size: number, _dtype: DType): Promise<Float32Array> {
  return Promise.resolve(storage.slice(0, size));
}
