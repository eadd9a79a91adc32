/**
 * Driver of assembly/rmsnorm.ts (RMSNorm and fused add+RMSNorm). Rows are split across
 * threads; the kernel is memory-bound, so the work estimate is its traffic. Operands may be
 * views: each row starts at `offset + r · rowStride` (the offset goes into the address).
 */
import type { RmsnormKernelParams } from '@llama-ops/core';
import { writeRmsnormParams } from './params.js';
import type { Runtime } from './runtime.js';

/** Single-thread streaming cost assumed by the threading decision (measured ~0.045 ns/byte, DRAM-bound). */
const NS_PER_BYTE = 0.05;

export function rmsnorm(rt: Runtime, p: RmsnormKernelParams<number>): void {
  const { layout } = p;
  writeRmsnormParams(rt, {
    x: p.x + layout.x.offset * 4,
    residual: p.residual === null ? 0 : p.residual + layout.residual.offset * 4,
    weight: p.weight + layout.weight.offset * 4,
    out: p.out + layout.out.offset * 4,
    sum: p.sum === null ? 0 : p.sum + layout.sum.offset * 4,
    hidden: p.hidden,
    eps: p.eps,
    weightOffset: p.weightOffset,
    xRowStride: layout.x.rowStride,
    residualRowStride: layout.residual.rowStride,
    outRowStride: layout.out.rowStride,
    sumRowStride: layout.sum.rowStride,
  });
  const streams = 2 + (p.residual !== null ? 1 : 0) + (p.sum !== null ? 1 : 0);
  rt.run('rmsnorm', p.rows, p.rows * p.hidden * 4 * streams * NS_PER_BYTE);
}
