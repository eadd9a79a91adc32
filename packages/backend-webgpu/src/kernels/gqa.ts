/**
 * Grouped-query attention: picks the kernel. Decode-like calls (at most
 * `MAX_ROWS` query rows per KV head: one or a few positions times the group size) go to
 * split-KV flash decoding, which spreads a long cache over many workgroups; everything
 * else (prefill, chunked prefill, long speculative blocks) goes to the flash-attention
 * kernel, which tiles queries and keys. Both share one numerical recipe (gqa-common.ts),
 * so the choice never changes results beyond float rounding.
 */
import type { GqaKernelParams } from '@llama-ops/core';
import type { GpuContext, GpuTensor } from '../context.js';
import { encodeFlashAttention } from './flash-attention.js';
import { encodeFlashDecoding, useFlashDecoding } from './flash-decoding.js';
import { gqaCommon } from './gqa-common.js';

/** Which kernel a call uses (exported for tests and the bench). */
export function gqaKernelFor(p: { seqQ: number; headsQ: number; headsKV: number; headDimV: number }): 'flash-decoding' | 'flash-attention' {
  return useFlashDecoding(p) ? 'flash-decoding' : 'flash-attention';
}

/**
 * Encode one attention call. `prefer` overrides the choice where both kernels apply
 * (tests run every case through both); flash decoding is never forced where it does not.
 */
export function encodeGqa(ctx: GpuContext, p: GqaKernelParams<GpuTensor>, prefer: 'auto' | 'flash-decoding' | 'flash-attention' = 'auto'): void {
  const common = gqaCommon(p);
  const decode = useFlashDecoding(p) && prefer !== 'flash-attention';
  if (decode) encodeFlashDecoding(ctx, p, common);
  else encodeFlashAttention(ctx, p, common);
}
