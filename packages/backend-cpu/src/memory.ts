/**
 * Storage of the cpu backend: every tensor is a plain `Float32Array` on the JS heap.
 * Kernels run eagerly, so `read` only copies.
 *
 * Freed arrays of at least POOL_MIN_BYTES are kept in a per-backend pool keyed by length
 * and handed out again (zero-filled) by `allocate`/`upload`: a large new typed array is
 * backed by fresh pages, and touching them (page faults + kernel zeroing) costs about as
 * much as the RMSNorm kernel itself ([2048, 4096]: 15 ms of page faults vs 15 ms of
 * work). Small arrays are cheap to allocate and left to the garbage collector.
 */
import type { DType, StorageRegion } from '@llama-ops/core';

/** The storage handle of the cpu backend. */
export type CpuStorage = Float32Array;

/** Arrays smaller than this are not pooled (V8 allocates them cheaply). */
const POOL_MIN_BYTES = 256 * 1024;
/** Upper bound on the bytes the pool keeps alive. */
const POOL_MAX_BYTES = 256 * 1024 * 1024;

/** The memory half of the cpu kernel interface, with its own pool. */
export interface CpuMemory {
  upload(data: Float32Array, dtype: DType): CpuStorage;
  allocate(size: number, dtype: DType): CpuStorage;
  read(storage: CpuStorage, size: number, dtype: DType): Promise<Float32Array>;
  readSync(storage: CpuStorage, region: StorageRegion, dtype: DType, into: Float32Array): void;
  readInto(storage: CpuStorage, region: StorageRegion, dtype: DType, into: Float32Array): Promise<void>;
  write(storage: CpuStorage, region: StorageRegion, dtype: DType, data: Float32Array): void;
  hostView(storage: CpuStorage, offset: number, size: number): Float32Array;
  free(storage: CpuStorage): void;
  /** Drop every pooled array. */
  clear(): void;
}

export function createMemory(): CpuMemory {
  const pool = new Map<number, CpuStorage[]>();
  let pooledBytes = 0;

  const take = (size: number): CpuStorage | undefined => {
    const list = pool.get(size);
    const a = list?.pop();
    if (a !== undefined) pooledBytes -= a.byteLength;
    return a;
  };

  return {
    // A private copy of `data`: the caller may keep mutating its array.
    upload(data) {
      const a = take(data.length);
      if (a === undefined) return data.slice();
      a.set(data);
      return a;
    },
    allocate(size) {
      const a = take(size);
      if (a === undefined) return new Float32Array(size);
      a.fill(0);
      return a;
    },
    // A copy, so later kernels writing into `storage` cannot change what the caller got.
    read(storage, size) {
      return Promise.resolve(storage.slice(0, size));
    },
    readSync(storage, region, _dtype, into) {
      copyRows(storage, region.offset, region.rowStride, into, 0, region.rowSize, region.rows, region.rowSize);
    },
    readInto(storage, region, _dtype, into) {
      copyRows(storage, region.offset, region.rowStride, into, 0, region.rowSize, region.rows, region.rowSize);
      return Promise.resolve();
    },
    write(storage, region, _dtype, data) {
      copyRows(data, 0, region.rowSize, storage, region.offset, region.rowStride, region.rows, region.rowSize);
    },
    // Tensors are the arrays themselves: a view is a subarray of the same memory.
    hostView(storage, offset, size) {
      return storage.subarray(offset, offset + size);
    },
    free(storage) {
      const bytes = storage.byteLength;
      if (bytes < POOL_MIN_BYTES || pooledBytes + bytes > POOL_MAX_BYTES) return;
      let list = pool.get(storage.length);
      if (list === undefined) pool.set(storage.length, (list = []));
      list.push(storage);
      pooledBytes += bytes;
    },
    clear() {
      pool.clear();
      pooledBytes = 0;
    },
  };
}

/** `rows` runs of `count` elements, `srcStride` / `dstStride` apart (one `set` when both are contiguous). */
function copyRows(src: Float32Array, srcOffset: number, srcStride: number, dst: Float32Array, dstOffset: number, dstStride: number, rows: number, count: number): void {
  if (srcStride === count && dstStride === count) {
    dst.set(src.subarray(srcOffset, srcOffset + rows * count), dstOffset);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from = srcOffset + r * srcStride;
    dst.set(src.subarray(from, from + count), dstOffset + r * dstStride);
  }
}
