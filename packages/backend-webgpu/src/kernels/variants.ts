/**
 * Every kind of shader this package can generate, with representative sizes, so a test
 * can compile each one on Dawn's validating null backend: a WGSL error is caught in CI,
 * never by a user. Sizes that only change constants are sampled at their extremes. Each
 * shader also names the uniform layout it declares, so tests can check every layout's
 * struct against its writer.
 */
import type { DType } from '@llama-ops/core';
import type { UniformLayout } from '../uniforms.js';
import { COPY_UNIFORMS, copyKey, copyWgsl } from './copy.js';
import { FLASH_ATTENTION_UNIFORMS, flashAttentionKey, flashAttentionWgsl, type FlashAttentionVariant } from './flash-attention.js';
import {
  FLASH_COMBINE_UNIFORMS,
  FLASH_DECODING_UNIFORMS,
  flashCombineKey,
  flashCombineWgsl,
  flashDecodingKey,
  flashDecodingWgsl,
  MAX_ROWS,
} from './flash-decoding.js';
import { RMSNORM_UNIFORMS, rmsnormKey, rmsnormWgsl } from './rmsnorm.js';
import { ROPE_UNIFORMS, ropeKey, ropeWgsl } from './rope.js';

/** One shader to validate. */
export interface ShaderVariant {
  key: string;
  code: string;
  /** Features the device must have: `shader-f16`, `subgroups`. */
  features: string[];
}

/** A shader variant with the uniform layout its WGSL declares (for this package's tests). */
export interface KernelShader extends ShaderVariant {
  uniforms: UniformLayout;
}

function feats(dtype: DType, subgroups = false): string[] {
  const f: string[] = [];
  if (dtype === 'f16') f.push('shader-f16');
  if (subgroups) f.push('subgroups');
  return f;
}

/** Every shader variant kind, with head dims from 6 to 256 (odd, non-multiple-of-4 included). */
export function shaderVariants(): ShaderVariant[] {
  return kernelShaders().map(({ key, code, features }) => ({ key, code, features }));
}

/** {@link shaderVariants} with each one's uniform layout. */
export function kernelShaders(): KernelShader[] {
  const out: KernelShader[] = [];
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
              out.push({ key: rmsnormKey(v), code: rmsnormWgsl(v), features: feats(dtype, subgroups), uniforms: RMSNORM_UNIFORMS });
            }
          }
        }
      }
    }
    for (const interleaved of [false, true]) {
      for (const sharedBuffer of [false, true]) {
        const v = { dtype, interleaved, sharedBuffer };
        out.push({ key: ropeKey(v), code: ropeWgsl(v), features: feats(dtype), uniforms: ROPE_UNIFORMS });
      }
    }
    for (const sharedBuffer of [false, true]) {
      const v = { dtype, sharedBuffer };
      out.push({ key: copyKey(v), code: copyWgsl(v), features: feats(dtype), uniforms: COPY_UNIFORMS });
    }
    const dims: Array<[number, number]> = [
      [6, 6],
      [7, 5],
      [64, 64],
      [64, 32],
      [128, 128],
      [256, 256],
    ];
    for (const [headDim, headDimV] of dims) {
      const aligned = headDim % 4 === 0 && headDimV % 4 === 0;
      const combos: Array<[boolean, boolean, boolean]> = [
        [false, false, aligned],
        [true, true, aligned],
        [true, false, aligned],
        [false, true, aligned],
      ];
      // Views at offsets or row strides that are not multiples of 4 read scalars at any dims.
      if (aligned) combos.push([true, true, false]);
      for (const [mask, sinks, vec4] of combos) {
        const common = { dtype, headDim, headDimV, mask, sinks, vec4 };
        const vecs = Math.ceil(headDim / 4) + Math.ceil(headDimV / 4);
        const bk = Math.max(1, Math.min(32, Math.floor(16384 / (vecs * 16))));
        for (const [bq, gw] of [
          [64, 1],
          [16, 4],
          [1, 64],
          [3, 7],
        ]) {
          const v: FlashAttentionVariant = { ...common, bq, gw, bk };
          out.push({ key: flashAttentionKey(v), code: flashAttentionWgsl(v), features: feats(dtype), uniforms: FLASH_ATTENTION_UNIFORMS });
        }
        for (let rows = 1; rows <= MAX_ROWS; rows *= 2) {
          const v = { ...common, rows };
          out.push({ key: flashDecodingKey(v), code: flashDecodingWgsl(v), features: feats(dtype), uniforms: FLASH_DECODING_UNIFORMS });
          out.push({ key: flashCombineKey(v), code: flashCombineWgsl(v), features: feats(dtype), uniforms: FLASH_COMBINE_UNIFORMS });
        }
      }
    }
  }
  return out;
}
