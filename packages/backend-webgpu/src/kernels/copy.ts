/**
 * Copy `rows` rows of `count` elements from one storage region to another: KV-cache appends,
 * views made dense or written back, strided reads and writes of tensors.
 *
 * Algorithm: one `copyBufferToBuffer` (the copy engine, no pipeline) for a single run between
 * two buffers when the byte offsets and length are multiples of 4 and the buffers' usages allow
 * it (COPY_SRC on the source, COPY_DST on the destination: a caller's wrapped buffer may have
 * neither); otherwise a shader with one thread per element, offsets and row strides in
 * uniforms. When source and destination are the same buffer, the shader binds it once, read-
 * write (WebGPU rejects a writable binding that aliases another one); core never asks for
 * overlapping ranges in one call, so no thread reads what another writes.
 *
 * Speed: the DMA path runs at copy-engine bandwidth; the shader is memory-bound.
 */
import type { CopyKernelParams, DType } from '@llama-ops/core';
import { bytesPerElement, type GpuContext, type GpuTensor } from '../context.js';
import { defineUniforms } from '../uniforms.js';
import { entry, storageHeader } from './wgsl.js';

const WG = 64;

/** The copy shader's uniforms (elements, not bytes). */
export const COPY_UNIFORMS = defineUniforms('Params', {
  /** Elements per row. */
  count: 'u32',
  rows: 'u32',
  srcOffset: 'u32',
  srcRowStride: 'u32',
  dstOffset: 'u32',
  dstRowStride: 'u32',
});

/** What changes the copy shader. */
export interface CopyVariant {
  dtype: DType;
  /** Source and destination are one buffer, bound once (read-write). */
  sharedBuffer: boolean;
}

export const copyKey = (v: CopyVariant): string => `copy:${v.dtype}:${v.sharedBuffer ? 'shared' : 'two'}`;

export function copyWgsl(v: CopyVariant): string {
  const bindings = v.sharedBuffer
    ? `@group(0) @binding(0) var<storage, read_write> src: array<T>;
@group(0) @binding(1) var<uniform> u: Params;`
    : `@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read_write> dst: array<T>;
@group(0) @binding(2) var<uniform> u: Params;`;
  return `${storageHeader(v.dtype)}
${COPY_UNIFORMS.wgsl}
${bindings}
${entry(WG, false)}
  let i = group * ${WG}u + lid;
  let r = i / u.count;
  if (r >= u.rows) { return; }
  let c = i - r * u.count;
  ${v.sharedBuffer ? 'src' : 'dst'}[u.dstOffset + r * u.dstRowStride + c] = src[u.srcOffset + r * u.srcRowStride + c];
}
`;
}

const usable = (buffer: GPUBuffer, usage: number): boolean => (buffer.usage & usage) !== 0;

export function encodeCopy(ctx: GpuContext, p: CopyKernelParams<GpuTensor>): void {
  if (p.count === 0 || p.rows === 0) return;
  const e = bytesPerElement(p.dtype);
  const oneRun = p.rows === 1 || (p.srcRowStride === p.count && p.dstRowStride === p.count);
  const n = oneRun ? p.rows * p.count : p.count;
  if (
    oneRun &&
    p.src.buffer !== p.dst.buffer &&
    (p.srcOffset * e) % 4 === 0 &&
    (p.dstOffset * e) % 4 === 0 &&
    (n * e) % 4 === 0 &&
    usable(p.src.buffer, GPUBufferUsage.COPY_SRC) &&
    usable(p.dst.buffer, GPUBufferUsage.COPY_DST)
  ) {
    ctx.encoder().copyBufferToBuffer(p.src.buffer, p.srcOffset * e, p.dst.buffer, p.dstOffset * e, n * e);
    return;
  }
  const v: CopyVariant = { dtype: p.dtype, sharedBuffer: p.src.buffer === p.dst.buffer };
  const pipeline = ctx.pipeline(copyKey(v), () => copyWgsl(v));
  const rows = oneRun ? 1 : p.rows;
  const uniforms = ctx.uniforms(COPY_UNIFORMS, {
    count: n,
    rows,
    srcOffset: p.srcOffset,
    srcRowStride: oneRun ? n : p.srcRowStride,
    dstOffset: p.dstOffset,
    dstRowStride: oneRun ? n : p.dstRowStride,
  });
  const bindings = v.sharedBuffer ? [p.src, uniforms] : [p.src, p.dst, uniforms];
  ctx.dispatch(pipeline, bindings, ctx.grid(Math.ceil((rows * n) / WG)), 'copy');
}
