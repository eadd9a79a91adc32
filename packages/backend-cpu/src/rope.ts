/**
 * RoPE on `x [batch, seq, heads, headDim]` with core's cos/sin table.
 *
 * Algorithm: per token, the table row (`s`, or `b * seq + s` for explicit positions) is
 * walked pair-major: each cos/sin is loaded once and applied to that pair in every head of
 * the token (the token's heads, 16 KiB for 32 x 128, stay in L1). Both members of a pair
 * are loaded before either is stored, so `out` may be `x` (in place). Dims past
 * `rotaryDim` are copied only when `out` is a different array. The table already holds
 * `attentionFactor * cos/sin`, computed by core in float64 and rounded once.
 *
 * Measured (Node 20, 1 thread, AMD EPYC, [1, 512, 32, 128], kernel only, min of
 * interleaved runs): head-major (cos/sin reloaded per head) 2.2 ms; pair-major (kept)
 * 1.6 ms, for both pairings. Through core's op (pooled output included) 1.9 ms best,
 * ~2.7 ms median on the loaded machine, against ~1.3 ms for onnxruntime-node's
 * RotaryEmbedding on one thread (SIMD).
 */
import type { RopeKernelParams } from '@llama-ops/core';
import type { CpuStorage } from './memory.js';

export function rope(p: RopeKernelParams<CpuStorage>): void {
  const { x, out, batch, seq, heads, headDim, rotaryDim, interleaved, table, layout } = p;
  const { cos, sin, pairs, perToken } = table;
  const half = rotaryDim >> 1;
  // Element offsets of a pair's two members within a head.
  const step = interleaved ? 2 : 1;
  const second = interleaved ? 1 : half;
  const tokenSize = heads * headDim;
  const copyTail = (out !== x || layout.out.offset !== layout.x.offset) && rotaryDim < headDim;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const t = (perToken ? b * seq + s : s) * pairs;
      const token = b * seq + s;
      const xBase = layout.x.offset + token * layout.x.rowStride;
      const oBase = layout.out.offset + token * layout.out.rowStride;
      const end = xBase + tokenSize;
      const shift = oBase - xBase;
      // Pair-major: each cos/sin is loaded once and applied to every head of the token.
      for (let i = 0; i < half; i++) {
        const c = cos[t + i];
        const sn = sin[t + i];
        for (let ea = xBase + i * step; ea < end; ea += headDim) {
          const eb = ea + second;
          const a = x[ea];
          const v = x[eb];
          out[ea + shift] = a * c - v * sn;
          out[eb + shift] = v * c + a * sn;
        }
      }
      if (copyTail) {
        for (let e = xBase; e < end; e += headDim) {
          for (let i = e + rotaryDim, stop = e + headDim; i < stop; i++) out[i + shift] = x[i];
        }
      }
    }
  }
}
