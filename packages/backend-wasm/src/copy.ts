/** Driver of assembly/copy.ts: KV-cache appends and other tensor-to-tensor copies. */
import type { CopyKernelParams } from '@llama-ops/core';
import { P_COPY_BYTES, P_COPY_DST, P_COPY_SRC } from './params.js';
import type { Runtime } from './runtime.js';

export function copy(rt: Runtime, p: CopyKernelParams<number>): void {
  if (p.count === 0) return;
  const bytes = p.dtype === 'f16' ? 2 : 4;
  rt.setU32(P_COPY_SRC, p.src + p.srcOffset * bytes);
  rt.setU32(P_COPY_DST, p.dst + p.dstOffset * bytes);
  rt.setU32(P_COPY_BYTES, p.count * bytes);
  rt.run('copy', 1, 0);
}
