// A complete, deliberately simple llama-ops backend (guide/new-backend.md).
// test/guide-backend.test.ts runs the conformance kit on it.
import { defineBackend, type KernelBackend } from '@llama-ops/core';

const kernels: KernelBackend<Float32Array> = {
  name: 'mine',
  capabilities: { dtypes: ['f32'] },
  upload: (data) => data.slice(),
  allocate: (size) => new Float32Array(size),
  read: async (s, size) => s.slice(0, size),
  free: () => {},
  copy: ({ src, srcOffset, dst, dstOffset, count }) =>
    dst.set(src.subarray(srcOffset, srcOffset + count), dstOffset),

  rmsnorm({ x, residual, weight, out, sum, rows, hidden, eps, weightOffset }) {
    for (let r = 0; r < rows; r++) {
      const o = r * hidden;
      let ss = 0;
      for (let i = 0; i < hidden; i++) {
        const h = residual ? x[o + i] + residual[o + i] : x[o + i];
        if (sum) sum[o + i] = h;
        out[o + i] = h;
        ss += h * h;
      }
      const inv = 1 / Math.sqrt(ss / hidden + eps);
      for (let i = 0; i < hidden; i++) {
        out[o + i] = out[o + i] * inv * (weight[i] + weightOffset);
      }
    }
  },

  rope({ x, out, batch, seq, heads, headDim, rotaryDim, interleaved, table }) {
    const half = rotaryDim / 2;
    for (let b = 0; b < batch; b++)
      for (let s = 0; s < seq; s++) {
        const row = (table.perToken ? b * seq + s : s) * table.pairs;
        for (let h = 0; h < heads; h++) {
          const o = ((b * seq + s) * heads + h) * headDim;
          for (let i = 0; i < half; i++) {
            const ia = o + (interleaved ? 2 * i : i);
            const ib = o + (interleaved ? 2 * i + 1 : i + half);
            const a = x[ia], c = table.cos[row + i], sn = table.sin[row + i];
            out[ia] = a * c - x[ib] * sn;
            out[ib] = x[ib] * c + a * sn;
          }
          for (let i = rotaryDim; i < headDim; i++) out[o + i] = x[o + i];
        }
      }
  },

  gqa(p) {
    const { q, k, v, out, batch, seqQ, seqKV, headsQ, headsKV } = p;
    const { headDim, headDimV, scale, causal, window, softcap, mask } = p;
    const group = headsQ / headsKV;
    const scores = new Float64Array(seqKV);
    const acc = new Float64Array(headDimV); // f64: sums of huge values (3e38) must not overflow
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < seqQ; i++)
        for (let h = 0; h < headsQ; h++) {
          const g = Math.floor(h / group);
          const pos = p.queryOffset[b] + i;
          const qo = ((b * seqQ + i) * headsQ + h) * headDim;
          let max = -Infinity;
          for (let j = 0; j < seqKV; j++) {
            const visible =
              j < p.kvLength[b] && (!causal || j <= pos) && (window === 0 || j > pos - window);
            let s = -Infinity;
            if (visible) {
              const ko = ((b * seqKV + j) * headsKV + g) * headDim;
              s = 0;
              for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
              s *= scale;
              if (softcap > 0) s = softcap * Math.tanh(s / softcap);
              if (mask) {
                const mb = p.maskBatch > 1 ? b : 0;
                const mh = p.maskHeads > 1 ? h : 0;
                const m = mask[((mb * p.maskHeads + mh) * seqQ + i) * seqKV + j];
                s = m <= -1e30 ? -Infinity : s + m; // SPEC: masks <= -1e30 (finfo.min) mask
              }
            }
            scores[j] = s;
            if (s > max || Number.isNaN(s)) max = s; // NaN must poison the row
          }
          const sink = p.sinks ? p.sinks[h] : -Infinity;
          if (sink > max) max = sink;
          const oo = ((b * seqQ + i) * headsQ + h) * headDimV;
          out.fill(0, oo, oo + headDimV);
          // No visible key, or a sink of +Infinity taking all the weight: zeros, never NaN.
          if (max === -Infinity || (sink === Infinity && !Number.isNaN(max))) continue;
          let denom = Math.exp(sink - max);
          acc.fill(0);
          for (let j = 0; j < seqKV; j++) {
            if (scores[j] === -Infinity) continue;
            const w = Math.exp(scores[j] - max);
            denom += w;
            const vo = ((b * seqKV + j) * headsKV + g) * headDimV;
            for (let d = 0; d < headDimV; d++) acc[d] += w * v[vo + d];
          }
          for (let d = 0; d < headDimV; d++) out[oo + d] = acc[d] / denom;
        }
  },
};

/** The user-facing factory: every backend package exports one like it. */
export async function createBackend() {
  return defineBackend(kernels);
}
