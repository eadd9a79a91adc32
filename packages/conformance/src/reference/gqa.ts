/**
 * Float64 reference of grouped-query attention (SPEC.md "gqa"), one query row at a time:
 *
 *     p        = queryOffset[b] + i                    (absolute position of query i)
 *     visible  = j < kvLength[b]  and (not causal or j <= p)  and (no window or j > p - window)
 *     score[j] = scale * <q, k_j>;  softcap * tanh(score / softcap);  + mask      (visible j only)
 *     out      = sum_j exp(score[j] - m) v_j / (sum_j exp(score[j] - m) + exp(sink - m))
 *
 * with `m` the largest score (and sink), subtracted in float64. Keys at `j >= kvLength[b]` are
 * never read (they may hold NaN garbage). A row with no visible key (or whose visible scores
 * are all -Inf through the mask) is zeros. Query head `h` reads KV head `floor(h / (Hq / Hkv))`.
 *
 * SPEC.md "Range and special values": mask values `<= -1e30` count as masked (`-Inf`), so a
 * row whose visible keys all hold `finfo(float32).min` is zeros; `sinks[h] = +Inf` gives zeros
 * for head `h`; subnormal q, k, v, mask and sink values are read as zero.
 */
import { flushSubnormals, MASKED_AT } from './range.js';

/** Options of {@link referenceGqa}, as core's `GqaOptions` with plain arrays for mask/sinks. */
export interface ReferenceGqaOptions {
  /** Default `1 / sqrt(headDim)`. */
  scale?: number;
  /** Default true. */
  causal?: boolean;
  /** Scalar or per batch; default `seqKV`. */
  kvLength?: number | ArrayLike<number>;
  /** Scalar or per batch; default `kvLength - seqQ` (per batch). */
  queryOffset?: number | ArrayLike<number>;
  /** Sliding window (`p - window < j <= p`); default none. */
  window?: number;
  /** Default none. */
  softcap?: number;
  /** Additive mask values and shape `[batch | 1, Hq | 1, seqQ, seqKV]`. */
  mask?: { data: ArrayLike<number>; shape: readonly number[] };
  /** Per-query-head sink logits `[Hq]`. */
  sinks?: ArrayLike<number>;
}

/** Shapes of the three inputs (bshd). */
export interface ReferenceGqaShapes {
  q: readonly number[];
  k: readonly number[];
  v: readonly number[];
}

function perBatch(value: number | ArrayLike<number> | undefined, batch: number, fallback: (b: number) => number): Float64Array {
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) out[b] = value === undefined ? fallback(b) : typeof value === 'number' ? value : value[b];
  return out;
}

/**
 * GQA of `q [B, Sq, Hq, d]`, `k [B, Skv, Hkv, d]`, `v [B, Skv, Hkv, dv]` in float64.
 * @returns `[B, Sq, Hq, dv]`.
 */
export function referenceGqa(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  shapes: ReferenceGqaShapes,
  options: ReferenceGqaOptions = {},
): Float64Array {
  q = flushSubnormals(q);
  k = flushSubnormals(k);
  v = flushSubnormals(v);
  const sinks = options.sinks && flushSubnormals(options.sinks);
  const [B, Sq, Hq, D] = shapes.q;
  const [, Skv, Hkv] = shapes.k;
  const Dv = shapes.v[3];
  if (Hq % Hkv !== 0) throw new RangeError('referenceGqa: Hq must be a multiple of Hkv');
  const group = Hq / Hkv;
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const causal = options.causal ?? true;
  const window = options.window ?? 0;
  const softcap = options.softcap ?? 0;
  const kvLength = perBatch(options.kvLength, B, () => Skv);
  const queryOffset = perBatch(options.queryOffset, B, (b) => kvLength[b] - Sq);
  const mask = options.mask && { data: flushSubnormals(options.mask.data), shape: options.mask.shape };
  const [mB, mH] = mask ? mask.shape : [1, 1];

  const out = new Float64Array(B * Sq * Hq * Dv);
  const scores = new Float64Array(Skv);
  const visible = new Uint8Array(Skv);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Sq; i++) {
      const p = queryOffset[b] + i;
      for (let h = 0; h < Hq; h++) {
        const kvh = Math.floor(h / group);
        const qo = ((b * Sq + i) * Hq + h) * D;
        let m = -Infinity;
        let any = false;
        for (let j = 0; j < kvLength[b]; j++) {
          visible[j] = (!causal || j <= p) && (window <= 0 || j > p - window) ? 1 : 0;
          if (!visible[j]) continue;
          const ko = ((b * Skv + j) * Hkv + kvh) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
          let s = scale * dot;
          if (softcap > 0) s = softcap * Math.tanh(s / softcap);
          if (mask) {
            const mo = (((mB === 1 ? 0 : b) * mH + (mH === 1 ? 0 : h)) * Sq + i) * Skv + j;
            const mv = mask.data[mo];
            s = mv <= MASKED_AT ? -Infinity : s + mv;
          }
          scores[j] = s;
          any = true;
          // NaN must win the max (a NaN score makes the row NaN, as the formula says).
          m = Number.isNaN(s) || Number.isNaN(m) ? NaN : Math.max(m, s);
        }
        const oo = ((b * Sq + i) * Hq + h) * Dv;
        if (!any || m === -Infinity) continue; // no visible key: zeros
        if (sinks && sinks[h] === Infinity && !Number.isNaN(m)) continue; // all weight on the sink, which has no value: zeros (a NaN score still makes the row NaN)
        if (sinks) m = Number.isNaN(m) ? m : Math.max(m, sinks[h]);
        let denom = sinks ? Math.exp(sinks[h] - m) : 0;
        for (let j = 0; j < kvLength[b]; j++) if (visible[j]) denom += Math.exp(scores[j] - m);
        for (let j = 0; j < kvLength[b]; j++) {
          if (!visible[j]) continue;
          const w = Math.exp(scores[j] - m) / denom;
          const vo = ((b * Skv + j) * Hkv + kvh) * Dv;
          for (let d = 0; d < Dv; d++) out[oo + d] += w * v[vo + d];
        }
      }
    }
  }
  return out;
}
