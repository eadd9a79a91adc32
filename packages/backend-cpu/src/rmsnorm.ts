/**
 * RMSNorm and fused add+RMSNorm on Float32Array rows.
 *
 * Algorithm: per row, pass 1 forms `h` (x, or x + residual) and accumulates sum(h^2) in
 * four independent float64 accumulators (4-way unrolled, so the adds do not serialise
 * on one register); pass 2 writes `h * invRms * w`. The fused form stores `h` into `sum`
 * during pass 1 and reads it back in pass 2, so `x` and `residual` are each read once;
 * RMSNorm with a residual but no `sum` output keeps `h` in a float32 scratch row instead
 * (the same rounding as the fused form, so both give identical `y`).
 * `weight + weightOffset` is formed once per call in float64.
 *
 * Overflow: JS numbers are float64, so for |h| <= 1e18 each square is <= 1e36 and the
 * sum over any realistic row (< 1e270 elements) stays far below 1.8e308; no pre-scaling
 * is needed (in float32 the same squares would overflow past 3.4e38).
 *
 * Measured (Node 20, 1 thread, AMD EPYC, [2048, 4096]): kernel 14.6 ms plain, 22.4 ms
 * fused (min of interleaved runs; the 3-loop variant without helpers was 15.7 / 23.6 ms).
 * Through core's op, output allocation included: 15.4-15.9 ms plain and 19-20 ms fused,
 * against 18.7-23.5 ms for onnxruntime-node's RMSNormalization and ~41 ms for its
 * SkipSimplifiedLayerNormalization on one thread (bench/compare-ort.mjs). The op was 30 /
 * 49 ms before memory.ts pooled freed outputs (page faults on fresh 32 MiB arrays).
 */
import type { RmsnormKernelParams } from '@llama-ops/core';
import type { CpuStorage } from './memory.js';
import { scratchF32, scratchF64 } from './scratch.js';

export function rmsnorm(p: RmsnormKernelParams<CpuStorage>): void {
  const { x, residual, out, rows, hidden, eps, weightOffset, layout } = p;
  const w = scratchF64('rmsnorm.w', hidden);
  for (let i = 0, wo = layout.weight.offset; i < hidden; i++) w[i] = p.weight[wo + i] + weightOffset;
  // h: where the row to normalise lives (x itself, the sum output, or a scratch row).
  const scratch = residual !== null && p.sum === null ? scratchF32('rmsnorm.h', hidden) : null;
  const { x: lx, residual: lr, out: lo, sum: ls } = layout;
  for (let r = 0; r < rows; r++) {
    const xo = lx.offset + r * lx.rowStride;
    const oo = lo.offset + r * lo.rowStride;
    let h = x;
    let ho = xo;
    let ss: number;
    if (residual === null) {
      ss = sumOfSquares(x, xo, hidden);
    } else {
      h = scratch ?? (p.sum as CpuStorage);
      ho = scratch ? 0 : ls.offset + r * ls.rowStride;
      ss = addAndSumOfSquares(x, xo, residual, lr.offset + r * lr.rowStride, h, ho, hidden);
    }
    const inv = 1 / Math.sqrt(ss / hidden + eps);
    for (let i = 0; i < hidden; i++) out[oo + i] = h[ho + i] * inv * w[i];
  }
}

/** sum(x[o..o+n)^2) with four independent float64 accumulators. */
function sumOfSquares(x: Float32Array, o: number, n: number): number {
  const n4 = n - (n & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < n4; i += 4) {
    const a = x[o + i];
    const b = x[o + i + 1];
    const c = x[o + i + 2];
    const d = x[o + i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) s0 += x[o + i] * x[o + i];
  return s0 + s1 + (s2 + s3);
}

/**
 * h[ho + i] = x[o + i] + r[ro + i], rounded to float32 as stored; returns sum(h^2) of the
 * rounded values (so y is exactly rmsnorm(sum)), with four float64 accumulators.
 */
function addAndSumOfSquares(x: Float32Array, o: number, r: Float32Array, ro: number, h: Float32Array, ho: number, n: number): number {
  const n4 = n - (n & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < n4; i += 4) {
    const a = Math.fround(x[o + i] + r[ro + i]);
    const b = Math.fround(x[o + i + 1] + r[ro + i + 1]);
    const c = Math.fround(x[o + i + 2] + r[ro + i + 2]);
    const d = Math.fround(x[o + i + 3] + r[ro + i + 3]);
    h[ho + i] = a;
    h[ho + i + 1] = b;
    h[ho + i + 2] = c;
    h[ho + i + 3] = d;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) {
    const a = Math.fround(x[o + i] + r[ro + i]);
    h[ho + i] = a;
    s0 += a * a;
  }
  return s0 + s1 + (s2 + s3);
}
