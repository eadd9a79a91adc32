/**
 * Driver of assembly/rmsnorm.ts (RMSNorm and fused add+RMSNorm). Rows are split across
 * threads; the kernel is memory-bound, so the work estimate is its traffic.
 */
import type { RmsnormKernelParams } from '@llama-ops/core';
import { writeRmsnormParams } from './params.js';
import type { Runtime } from './runtime.js';

/** Single-thread streaming cost assumed by the threading decision (measured ~0.045 ns/byte, DRAM-bound). */
const NS_PER_BYTE = 0.05;

export function rmsnorm(rt: Runtime, p: RmsnormKernelParams<number>): void {
  writeRmsnormParams(rt, {
    x: p.x,
    residual: p.residual ?? 0,
    weight: p.weight,
    out: p.out,
    sum: p.sum ?? 0,
    hidden: p.hidden,
    eps: p.eps,
    weightOffset: p.weightOffset,
  });
  const streams = 2 + (p.residual !== null ? 1 : 0) + (p.sum !== null ? 1 : 0);
  rt.run('rmsnorm', p.rows, p.rows * p.hidden * 4 * streams * NS_PER_BYTE);
}
