/**
 * Copy between tensors (KV-cache appends, views), row by row. `TypedArray.prototype.set` is a memmove: it
 * is correct even when `src` and `dst` are the same array with overlapping ranges.
 */
import type { CopyKernelParams } from '@llama-ops/core';
import type { CpuStorage } from './memory.js';

export function copy(p: CopyKernelParams<CpuStorage>): void {
  for (let r = 0; r < p.rows; r++) {
    const from = p.srcOffset + r * p.srcRowStride;
    p.dst.set(p.src.subarray(from, from + p.count), p.dstOffset + r * p.dstRowStride);
  }
}
