/**
 * Inputs of the playground: seeded, so a run is reproducible. Random values come from the
 * conformance kit's generator (`Rng`, mulberry32: the same stream as the kit's cases); the
 * 'pattern' inputs make the heatmap show what each op does.
 */
import type { RopeScaling } from '@llama-ops/core';
import { Rng } from '@llama-ops/conformance/testing';

/** Standard normal values (Box-Muller over the kit's `Rng`), times `scale`. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  return out;
}

/** RMSNorm pattern `[rows, hidden]`: waves whose amplitude grows 15x down the rows; after RMSNorm every row has rms ~1. */
export function rmsnormPattern(rows: number, hidden: number, scale: number): Float32Array {
  return Float32Array.from({ length: rows * hidden }, (_, n) => {
    const row = Math.floor(n / hidden);
    const i = n % hidden;
    return scale * (0.2 + (3 * row) / rows) * (Math.sin(i * 0.03 * (1 + (row % 5))) + 0.3);
  });
}

/**
 * RoPE pattern `[1, seq, heads, headDim]`: every rotated pair starts at (1, 0), so the output
 * shows cos/sin of each pair's angle; dims past `rotaryDim` are 0.5 (they pass through).
 */
export function ropePattern(seq: number, heads: number, headDim: number, rotaryDim: number, interleaved: boolean): Float32Array {
  return Float32Array.from({ length: seq * heads * headDim }, (_, n) => {
    const i = n % headDim;
    if (i >= rotaryDim) return 0.5;
    return (interleaved ? i % 2 === 0 : i < rotaryDim / 2) ? 1 : 0;
  });
}

/** GQA pattern for V `[1, seqKV, headsKV, headDim]`: row j is one-hot at j mod headDim, so each output row is the attention weights. */
export function gqaPatternV(seqKV: number, headsKV: number, headDim: number): Float32Array {
  return Float32Array.from({ length: seqKV * headsKV * headDim }, (_, n) => {
    const j = Math.floor(n / (headsKV * headDim));
    return n % headDim === j % headDim ? 1 : 0;
  });
}

/** The RoPE scaling presets the page offers, in menu order, with their menu labels. */
export const SCALING_PRESETS = [
  { value: 'default', label: 'default' },
  { value: 'linear', label: 'linear ×4' },
  { value: 'dynamic', label: 'dynamic ×4 (8k)' },
  { value: 'llama3', label: 'llama3 ×8 (8k)' },
  { value: 'yarn', label: 'YaRN ×4 (8k)' },
  { value: 'longrope', label: 'LongRoPE (8k → 128k)' },
] as const;
export type ScalingPreset = (typeof SCALING_PRESETS)[number]['value'];

/** The scaling of each RoPE preset the page offers (undefined: default RoPE). */
export function ropeScaling(type: string, rotaryDim: number): RopeScaling | undefined {
  const origMax = 8192;
  switch (type) {
    case 'linear':
      return { type: 'linear', factor: 4 };
    case 'dynamic':
      return { type: 'dynamic', factor: 4, maxPositionEmbeddings: origMax };
    case 'llama3':
      return { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: origMax };
    case 'yarn':
      return { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: origMax };
    case 'longrope': {
      const pairs = rotaryDim / 2;
      const ramp = (hi: number) => Array.from({ length: pairs }, (_, i) => 1 + ((hi - 1) * i) / Math.max(1, pairs - 1));
      return { type: 'longrope', shortFactor: ramp(1.5), longFactor: ramp(8), originalMaxPositionEmbeddings: origMax, maxPositionEmbeddings: 16 * origMax };
    }
    default:
      return undefined;
  }
}
