/**
 * Every kind of shader this package can generate, with representative sizes, so a test
 * can compile each one on Dawn's validating null backend: a WGSL error is caught in CI,
 * never by a user. Sizes that only change constants are sampled at their extremes.
 */
import type { DType } from '@llama-ops/core';
import { copyKey, copyWgsl } from './copy.js';
import { flashAttentionKey, flashAttentionWgsl, type FlashAttentionVariant } from './flash-attention.js';
import { flashCombineKey, flashCombineWgsl, flashDecodingKey, flashDecodingWgsl, MAX_ROWS } from './flash-decoding.js';
import { rmsnormKey, rmsnormWgsl } from './rmsnorm.js';
import { ropeKey, ropeWgsl } from './rope.js';

/** One shader to validate. */
export interface ShaderVariant {
  key: string;
  code: string;
  /** Features the device must have: `shader-f16`, `subgroups`. */
  features: string[];
}

function feats(dtype: DType, subgroups = false): string[] {
  const f: string[] = [];
  if (dtype === 'f16') f.push('shader-f16');
  if (subgroups) f.push('subgroups');
  return f;
}

/** Every shader variant kind, with head dims from 6 to 256 (odd, non-multiple-of-4 included). */
export function shaderVariants(): ShaderVariant[] {
  const out: ShaderVariant[] = [];
  const dtypes: DType[] = ['f32', 'f16'];
  for (const dtype of dtypes) {
    for (const vec of [1, 4] as const) {
      for (const wg of [32, 256]) {
        for (const regs of [0, 1, 8]) {
          for (const [residual, sum] of [
            [false, false],
            [true, false],
            [true, true],
          ]) {
            for (const subgroups of [false, true]) {
              const v = { dtype, vec, wg, regs, residual, sum, subgroups };
              out.push({ key: rmsnormKey(v), code: rmsnormWgsl(v), features: feats(dtype, subgroups) });
            }
          }
        }
      }
    }
    for (const interleaved of [false, true]) {
      for (const inPlace of [false, true]) {
        const v = { dtype, interleaved, inPlace };
        out.push({ key: ropeKey(v), code: ropeWgsl(v), features: feats(dtype) });
      }
    }
    out.push({ key: copyKey(dtype), code: copyWgsl(dtype), features: feats(dtype) });
    const dims: Array<[number, number]> = [
      [6, 6],
      [7, 5],
      [64, 64],
      [64, 32],
      [128, 128],
      [256, 256],
    ];
    for (const [headDim, headDimV] of dims) {
      for (const [mask, sinks] of [
        [false, false],
        [true, true],
        [true, false],
        [false, true],
      ]) {
        const common = { dtype, headDim, headDimV, mask, sinks };
        const vecs = Math.ceil(headDim / 4) + Math.ceil(headDimV / 4);
        const bk = Math.max(1, Math.min(32, Math.floor(16384 / (vecs * 16))));
        for (const [bq, gw] of [
          [64, 1],
          [16, 4],
          [1, 64],
          [3, 7],
        ]) {
          const v: FlashAttentionVariant = { ...common, bq, gw, bk };
          out.push({ key: flashAttentionKey(v), code: flashAttentionWgsl(v), features: feats(dtype) });
        }
        for (let rows = 1; rows <= MAX_ROWS; rows *= 2) {
          const v = { ...common, rows };
          out.push({ key: flashDecodingKey(v), code: flashDecodingWgsl(v), features: feats(dtype) });
          out.push({ key: flashCombineKey(v), code: flashCombineWgsl(v), features: feats(dtype) });
        }
      }
    }
  }
  return out;
}
