/** Driver of assembly/copy.ts: KV-cache appends, views and other tensor-to-tensor copies. */
import type { CopyKernelParams } from '@llama-ops/core';
import { writeCopyParams } from './params.js';
import type { Runtime } from './runtime.js';

/** Single-thread cost of a copy per byte (read + write), for the threading decision. */
const NS_PER_BYTE = 0.05;

export function copy(rt: Runtime, p: CopyKernelParams<number>): void {
  if (p.count === 0 || p.rows === 0) return;
  const bytes = p.dtype === 'f16' ? 2 : 4;
  writeCopyParams(rt, {
    src: p.src + p.srcOffset * bytes,
    dst: p.dst + p.dstOffset * bytes,
    bytes: p.count * bytes,
    srcRowStride: p.srcRowStride * bytes,
    dstRowStride: p.dstRowStride * bytes,
  });
  // One row is one memmove on this thread (as before views); many rows may be split.
  rt.run('copy', p.rows, p.rows > 1 ? p.rows * p.count * bytes * NS_PER_BYTE : 0);
}
