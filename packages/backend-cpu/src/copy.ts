/**
 * Copy between tensors (KV-cache appends). `TypedArray.prototype.set` is a memmove: it
 * is correct even when `src` and `dst` are the same array with overlapping ranges.
 */
import type { CopyKernelParams } from '@llama-ops/core';
import type { CpuStorage } from './memory.js';

export function copy(p: CopyKernelParams<CpuStorage>): void {
  p.dst.set(p.src.subarray(p.srcOffset, p.srcOffset + p.count), p.dstOffset);
}
