/**
 * Copy (the KV-cache append): `dst[dstOffset ..] = src[srcOffset .. + count]`.
 *
 * Algorithm: a DMA `copyBufferToBuffer` when both byte offsets and the byte count are
 * multiples of 4 and the buffers differ (always for f32; for f16 when offsets and count
 * are even); otherwise a one-thread-per-element shader. An overlapping copy within one
 * buffer goes through a scratch buffer.
 *
 * Speed: the DMA path runs at copy-engine bandwidth and needs no pipeline.
 */
import type { CopyKernelParams, DType } from '@llama-ops/core';
import { bytesPerElement, type GpuContext, type GpuTensor } from '../context.js';
import { defineUniforms } from '../uniforms.js';
import { entry, storageHeader } from './wgsl.js';

const WG = 64;

/** The copy shader's uniforms (elements, not bytes). */
export const COPY_UNIFORMS = defineUniforms('Params', {
  count: 'u32',
  srcOffset: 'u32',
  dstOffset: 'u32',
});

export const copyKey = (dtype: DType): string => `copy:${dtype}`;

export function copyWgsl(dtype: DType): string {
  return `${storageHeader(dtype)}
${COPY_UNIFORMS.wgsl}
@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read_write> dst: array<T>;
@group(0) @binding(2) var<uniform> u: Params;
${entry(WG, false)}
  let i = group * ${WG}u + lid;
  if (i >= u.count) { return; }
  dst[u.dstOffset + i] = src[u.srcOffset + i];
}
`;
}

function copyRange(ctx: GpuContext, src: GPUBuffer, srcBytes: number, srcOffset: number, dst: GPUBuffer, dstBytes: number, dstOffset: number, count: number, dtype: DType): void {
  const e = bytesPerElement(dtype);
  if (src !== dst && (srcOffset * e) % 4 === 0 && (dstOffset * e) % 4 === 0 && (count * e) % 4 === 0) {
    ctx.encoder().copyBufferToBuffer(src, srcOffset * e, dst, dstOffset * e, count * e);
    return;
  }
  const pipeline = ctx.pipeline(copyKey(dtype), () => copyWgsl(dtype));
  const uniforms = ctx.uniforms(COPY_UNIFORMS, { count, srcOffset, dstOffset });
  const s: GpuTensor = { buffer: src, size: 0, dtype, bytes: srcBytes, freed: false };
  const d: GpuTensor = { buffer: dst, size: 0, dtype, bytes: dstBytes, freed: false };
  ctx.dispatch(pipeline, [s, d, uniforms], ctx.grid(Math.ceil(count / WG)), 'copy');
}

export function encodeCopy(ctx: GpuContext, p: CopyKernelParams<GpuTensor>): void {
  if (p.count === 0) return;
  if (p.src.buffer === p.dst.buffer) {
    // Same buffer: copyBufferToBuffer refuses it, and a shader would race on overlap.
    const bytes = Math.ceil((p.count * bytesPerElement(p.dtype)) / 4) * 4;
    const tmp = ctx.scratch(bytes);
    copyRange(ctx, p.src.buffer, p.src.bytes, p.srcOffset, tmp, bytes, 0, p.count, p.dtype);
    copyRange(ctx, tmp, bytes, 0, p.dst.buffer, p.dst.bytes, p.dstOffset, p.count, p.dtype);
    return;
  }
  copyRange(ctx, p.src.buffer, p.src.bytes, p.srcOffset, p.dst.buffer, p.dst.bytes, p.dstOffset, p.count, p.dtype);
}
