/**
 * Driver of assembly/rmsnorm.ts (RMSNorm and fused add+RMSNorm). Rows are split across
 * threads; the kernel is memory-bound, so the work estimate is its traffic.
 */
import type { RmsnormKernelParams } from '@llama-ops/core';
import { P_RMS_EPS, P_RMS_HIDDEN, P_RMS_OFFSET, P_RMS_OUT, P_RMS_RESIDUAL, P_RMS_SUM, P_RMS_WEIGHT, P_RMS_X } from './params.js';
import type { Runtime } from './runtime.js';

/** Single-thread streaming cost assumed by the threading decision (measured ~0.045 ns/byte, DRAM-bound). */
const NS_PER_BYTE = 0.05;

export function rmsnorm(rt: Runtime, p: RmsnormKernelParams<number>): void {
  rt.setU32(P_RMS_X, p.x);
  rt.setU32(P_RMS_RESIDUAL, p.residual ?? 0);
  rt.setU32(P_RMS_WEIGHT, p.weight);
  rt.setU32(P_RMS_OUT, p.out);
  rt.setU32(P_RMS_SUM, p.sum ?? 0);
  rt.setI32(P_RMS_HIDDEN, p.hidden);
  rt.setF32(P_RMS_EPS, p.eps);
  rt.setF32(P_RMS_OFFSET, p.weightOffset);
  const streams = 2 + (p.residual !== null ? 1 : 0) + (p.sum !== null ? 1 : 0);
  rt.run('rmsnorm', p.rows, p.rows * p.hidden * 4 * streams * NS_PER_BYTE);
}
