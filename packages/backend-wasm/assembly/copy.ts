/**
 * Copy between tensors (KV-cache appends, views), rows `[start, end)` of `bytes` bytes each:
 * `memory.copy` is V8's memmove, at memory bandwidth (and correct for overlapping ranges).
 * A KV append is too small to be worth splitting across threads.
 */
import { CopyParams } from './params';

export function copy(params: usize, start: i32, end: i32, thread: i32): void {
  const src = CopyParams.src(params);
  const dst = CopyParams.dst(params);
  const bytes = CopyParams.bytes(params) as usize;
  const srcStride = CopyParams.srcRowStride(params) as usize;
  const dstStride = CopyParams.dstRowStride(params) as usize;
  for (let r = start; r < end; r++) memory.copy(dst + (r as usize) * dstStride, src + (r as usize) * srcStride, bytes);
}
