/**
 * Float64 reference of RoPE (SPEC.md "rope"), including all six frequency scalings written
 * from Hugging Face transformers' `modeling_rope_utils.py` (`_compute_default_rope_parameters`,
 * `_compute_linear_scaling_rope_parameters`, `_compute_dynamic_ntk_parameters`,
 * `_compute_llama3_parameters`, `_compute_yarn_parameters`, `_compute_longrope_parameters`).
 * This is deliberately an independent implementation of core's `ropeFrequencies`: the
 * conformance kit cross-checks the two.
 *
 * For each pair `(a, b)` (pairs `(i, i + rotaryDim/2)`, or `(2i, 2i+1)` when interleaved)
 * at position `p`, with `t = p * invFreq[i]` in float64:
 *
 *     a' = (a cos t - b sin t) * attentionFactor
 *     b' = (b cos t + a sin t) * attentionFactor
 *
 * Dims `[rotaryDim, headDim)` pass through unchanged.
 */
import type { RopeScaling } from '@llama-ops/core';
import { flushSubnormals } from './range.js';

/** Options of {@link referenceRope}, as core's `RopeOptions` (without `inPlace`). */
export interface ReferenceRopeOptions {
  /** Start offset (token `s` is at `p0 + s`) or explicit positions `[batch * seq]`. Default 0. */
  positions?: number | ArrayLike<number>;
  /** Default 10000. */
  theta?: number;
  /** Default `headDim`. */
  rotaryDim?: number;
  /** Default false (pairs `(i, i + rotaryDim/2)`). */
  interleaved?: boolean;
  /** Default `{ type: 'default' }`. */
  scaling?: RopeScaling;
}

/** Final frequencies of one configuration. */
export interface ReferenceRopeFrequencies {
  /** `rotaryDim / 2` inverse frequencies after scaling. */
  invFreq: Float64Array;
  /** Multiplies both rotated values (1 except YaRN / LongRoPE). */
  attentionFactor: number;
}

/** HF `_compute_default_rope_parameters`: `1 / theta^(2i / dim)`. */
function defaultInvFreq(theta: number, dim: number): Float64Array {
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = 1 / theta ** ((2 * i) / dim);
  return out;
}

/** HF `get_mscale` of YaRN. */
function getMscale(scale: number, mscale = 1): number {
  if (scale <= 1) return 1;
  return 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * The scaled inverse frequencies and attention factor for a call whose largest position is
 * `maxPosition` (dynamic NTK and LongRoPE depend on it).
 */
export function referenceRopeFrequencies(
  rotaryDim: number,
  theta: number,
  scaling: RopeScaling = { type: 'default' },
  maxPosition = 0,
): ReferenceRopeFrequencies {
  const dim = rotaryDim;
  switch (scaling.type) {
    case 'default':
      return { invFreq: defaultInvFreq(theta, dim), attentionFactor: 1 };

    case 'linear': {
      const inv = defaultInvFreq(theta, dim);
      for (let i = 0; i < inv.length; i++) inv[i] /= scaling.factor;
      return { invFreq: inv, attentionFactor: 1 };
    }

    case 'dynamic': {
      // HF: seq_len = max(seq_len, max_position_embeddings), so the base only grows past it
      // (at seq_len = max_position_embeddings the bracket is exactly 1: skip the power, which
      // for rotaryDim = 2 would be 1 ** Infinity = NaN in JS).
      const seqLen = maxPosition + 1;
      if (seqLen <= scaling.maxPositionEmbeddings) return { invFreq: defaultInvFreq(theta, dim), attentionFactor: 1 };
      const f = scaling.factor;
      const base = theta * ((f * seqLen) / scaling.maxPositionEmbeddings - (f - 1)) ** (dim / (dim - 2));
      return { invFreq: defaultInvFreq(base, dim), attentionFactor: 1 };
    }

    case 'llama3': {
      const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldContextLen } = scaling;
      const lowFreqWavelen = oldContextLen / lowFreqFactor;
      const highFreqWavelen = oldContextLen / highFreqFactor;
      const inv = defaultInvFreq(theta, dim);
      const out = new Float64Array(inv.length);
      for (let i = 0; i < inv.length; i++) {
        const wavelen = (2 * Math.PI) / inv[i];
        // HF: where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq), then the
        // medium band (neither < high nor > low) is smoothed.
        let v = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
        const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
        if (isMedium) {
          const smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          v = (1 - smooth) * (v / factor) + smooth * v;
        }
        out[i] = v;
      }
      return { invFreq: out, attentionFactor: 1 };
    }

    case 'yarn': {
      const { factor } = scaling;
      const originalMax = scaling.originalMaxPositionEmbeddings;
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        attentionFactor =
          scaling.mscale && scaling.mscaleAllDim
            ? getMscale(factor, scaling.mscale) / getMscale(factor, scaling.mscaleAllDim)
            : getMscale(factor);
      }
      const betaFast = scaling.betaFast ?? 32;
      const betaSlow = scaling.betaSlow ?? 1;
      const truncate = scaling.truncate ?? true;
      const findCorrectionDim = (numRotations: number) =>
        (dim * Math.log(originalMax / (numRotations * 2 * Math.PI))) / (2 * Math.log(theta));
      let low = findCorrectionDim(betaFast);
      let high = findCorrectionDim(betaSlow);
      if (truncate) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, dim - 1);
      if (low === high) high += 0.001; // HF linear_ramp_factor avoids a division by zero
      const out = new Float64Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const posFreq = theta ** ((2 * i) / dim);
        const extrapolation = 1 / posFreq;
        const interpolation = 1 / (factor * posFreq);
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolationFactor = 1 - ramp;
        out[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
      }
      return { invFreq: out, attentionFactor };
    }

    case 'longrope': {
      const originalMax = scaling.originalMaxPositionEmbeddings;
      // HF: factor = max_position_embeddings / original_max_position_embeddings.
      const factor = scaling.maxPositionEmbeddings / originalMax;
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        attentionFactor = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(originalMax));
      }
      // HF: long factors when seq_len (= largest position + 1) > original_max_position_embeddings.
      const ext = maxPosition + 1 > originalMax ? scaling.longFactor : scaling.shortFactor;
      const out = new Float64Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) out[i] = 1 / (ext[i] * theta ** ((2 * i) / dim));
      return { invFreq: out, attentionFactor };
    }
  }
}

/** Position of every token `[batch * seq]`, and the largest one. */
export function referenceRopePositions(
  positions: number | ArrayLike<number> | undefined,
  batch: number,
  seq: number,
): { positions: Float64Array; maxPosition: number } {
  const out = new Float64Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      out[b * seq + s] = positions === undefined ? s : typeof positions === 'number' ? positions + s : positions[b * seq + s];
    }
  }
  let maxPosition = 0;
  for (const p of out) maxPosition = Math.max(maxPosition, p);
  return { positions: out, maxPosition };
}

/**
 * RoPE of `x [batch, seq, heads, headDim]` in float64.
 * @returns the rotated tensor, shaped like `x`.
 */
export function referenceRope(x: ArrayLike<number>, shape: readonly number[], options: ReferenceRopeOptions = {}): Float64Array {
  if (shape.length !== 4) throw new RangeError('referenceRope: x must be [batch, seq, heads, headDim]');
  const [batch, seq, heads, headDim] = shape;
  if (x.length !== batch * seq * heads * headDim) throw new RangeError('referenceRope: x does not match shape');
  x = flushSubnormals(x); // SPEC.md: subnormal inputs are checked as if they were zero
  const rotaryDim = options.rotaryDim ?? headDim;
  const theta = options.theta ?? 10000;
  const half = rotaryDim / 2;
  const { positions, maxPosition } = referenceRopePositions(options.positions, batch, seq);
  const { invFreq, attentionFactor } = referenceRopeFrequencies(rotaryDim, theta, options.scaling, maxPosition);
  const out = Float64Array.from(x);
  // cos and sin of a token's angles, shared by its heads.
  const cosT = new Float64Array(half);
  const sinT = new Float64Array(half);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const p = positions[b * seq + s];
      for (let i = 0; i < half; i++) {
        const t = p * invFreq[i];
        cosT[i] = Math.cos(t);
        sinT[i] = Math.sin(t);
      }
      for (let h = 0; h < heads; h++) {
        const o = ((b * seq + s) * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const ia = options.interleaved ? o + 2 * i : o + i;
          const ib = options.interleaved ? o + 2 * i + 1 : o + i + half;
          const c = cosT[i];
          const sn = sinT[i];
          const a = x[ia];
          const bv = x[ib];
          out[ia] = (a * c - bv * sn) * attentionFactor;
          out[ib] = (bv * c + a * sn) * attentionFactor;
        }
      }
    }
  }
  return out;
}
