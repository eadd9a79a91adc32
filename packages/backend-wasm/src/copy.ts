/** Driver of assembly/copy.ts: KV-cache appends and other tensor-to-tensor copies. */
import type { CopyKernelParams } from '@llama-ops/core';
import { writeCopyParams } from './params.js';
import type { Runtime } from './runtime.js';

export function copy(rt: Runtime, p: CopyKernelParams<number>): void {
  if (p.count === 0) return;
  const bytes = p.dtype === 'f16' ? 2 : 4;
  writeCopyParams(rt, { src: p.src + p.srcOffset * bytes, dst: p.dst + p.dstOffset * bytes, bytes: p.count * bytes });
  rt.run('copy', 1, 0);
}
