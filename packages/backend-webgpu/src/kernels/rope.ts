/**
 * Rotary position embedding on `x [batch, seq, heads, headDim]`, both pairings
 * (`rotate_half`: (i, i + rotaryDim/2); interleaved: (2i, 2i+1)) and partial rotary.
 *
 * Algorithm: one thread per (token, head, pair); it reads both values of its pair before
 * writing either, so `out` may be `x` (in place). Threads past the last pair copy the
 * unrotated tail `[rotaryDim, headDim)` two values each, only when `out` is not `x`.
 * Tokens of x and out start at element offsets with row strides given as uniforms (views,
 * e.g. q and k inside one packed QKV projection). When x and out are one buffer (in place,
 * or two regions of it) it is bound once, read-write: WebGPU rejects a writable binding that
 * aliases another one.
 * cos/sin come from core's float64 table (attention factor folded in), uploaded once per
 * `table.key` and kept in a small LRU; the shader never forms an angle in f32 (at
 * position 131072 an f32 angle is off by ~0.01 rad).
 *
 * Speed: memory-bound (one read and one write of x, table rows shared by every head
 * from cache). Measured on software Vulkan only; see apps/bench for GPU numbers.
 */
import type { DType, RopeKernelParams, RopeTable } from '@llama-ops/core';
import type { GpuContext, GpuTensor } from '../context.js';
import { defineUniforms } from '../uniforms.js';
import { entry, storageHeader } from './wgsl.js';

export interface RopeVariant {
  dtype: DType;
  interleaved: boolean;
  /** x and out are one buffer, bound once (read-write); otherwise x is read and out written. */
  sharedBuffer: boolean;
}

const WG = 64;
const TABLE_CACHE_LIMIT = 16;

/** The RoPE shader's uniforms. */
export const ROPE_UNIFORMS = defineUniforms('Params', {
  /** Threads doing work: rows * threadsPerRow. */
  threads: 'u32',
  seq: 'u32',
  heads: 'u32',
  headDim: 'u32',
  /** rotaryDim / 2. */
  pairs: 'u32',
  /** pairs, plus the tail's two-value chunks when out is not x. */
  threadsPerRow: 'u32',
  /** 1: the table has a row per token (explicit positions); 0: a row per sequence position. */
  tablePerToken: 'u32',
  /** Rows of cos (then as many of sin) in the table. */
  tableRows: 'u32',
  /** Token t of x starts at element xStart + t * xStride. */
  xStart: 'u32',
  xStride: 'u32',
  outStart: 'u32',
  outStride: 'u32',
});

export const ropeKey = (v: RopeVariant): string => `rope:${v.dtype}:${v.interleaved ? 'interleaved' : 'half'}:${v.sharedBuffer ? 'shared' : 'two'}`;

export function ropeWgsl(v: RopeVariant): string {
  const pair = v.interleaved ? 'let ia = 2u * j; let ib = ia + 1u;' : 'let ia = j; let ib = j + u.pairs;';
  const y = v.sharedBuffer ? 'x' : 'y';
  return `${storageHeader(v.dtype)}
${ROPE_UNIFORMS.wgsl}
@group(0) @binding(0) var<storage, ${v.sharedBuffer ? 'read_write' : 'read'}> x: array<T>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;
${v.sharedBuffer ? '' : '@group(0) @binding(3) var<storage, read_write> y: array<T>;'}
${entry(WG, false)}
  let g = group * ${WG}u + lid;
  if (g >= u.threads) { return; }
  let row = g / u.threadsPerRow;          // token * heads + head
  let j = g - row * u.threadsPerRow;      // pair index, or tail chunk past the last pair
  let token = row / u.heads;
  let head = row - token * u.heads;
  let xb = u.xStart + token * u.xStride + head * u.headDim;
  let yb = u.outStart + token * u.outStride + head * u.headDim;
  if (j < u.pairs) {
    let trow = select(token % u.seq, token, u.tablePerToken == 1u);
    let c = table[trow * u.pairs + j];
    let s = table[u.tableRows * u.pairs + trow * u.pairs + j];
    ${pair}
    let a = f32(x[xb + ia]);
    let b = f32(x[xb + ib]);
    ${y}[yb + ia] = T(a * c - b * s);
    ${y}[yb + ib] = T(b * c + a * s);
  } else {
    // The unrotated tail (threadsPerRow has these chunks only when out is not x itself).
    let d0 = 2u * u.pairs + 2u * (j - u.pairs);
    ${y}[yb + d0] = x[xb + d0];
    if (d0 + 1u < u.headDim) { ${y}[yb + d0 + 1u] = x[xb + d0 + 1u]; }
  }
}
`;
}

/** Uploaded cos/sin tables by `table.key` (LRU). */
export class RopeTableCache {
  readonly #entries = new Map<string, { buffer: GPUBuffer; bytes: number }>();
  constructor(private readonly ctx: GpuContext) {}

  /** The GPU copy of `table` (`[cos..., sin...]`), uploading it when not cached. */
  get(table: RopeTable): GPUBuffer {
    const key = table.key;
    if (key !== null) {
      const hit = this.#entries.get(key);
      if (hit) {
        this.#entries.delete(key);
        this.#entries.set(key, hit);
        return hit.buffer;
      }
    }
    const n = table.rows * table.pairs;
    const data = new Float32Array(2 * n);
    data.set(table.cos, 0);
    data.set(table.sin, n);
    if (key === null) return this.ctx.scratch(data.byteLength, data);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const { buffer } = this.ctx.pool.acquire(data.byteLength, usage, 'rope-table');
    this.ctx.device.queue.writeBuffer(buffer, 0, data);
    this.#entries.set(key, { buffer, bytes: data.byteLength });
    if (this.#entries.size > TABLE_CACHE_LIMIT) {
      const [oldKey, old] = this.#entries.entries().next().value as [string, { buffer: GPUBuffer; bytes: number }];
      this.#entries.delete(oldKey);
      // It may still be bound by the pending encoder: give it back after the submit.
      this.ctx.afterSubmit(() => this.ctx.pool.release(old.buffer, old.bytes));
    }
    return buffer;
  }
}

export function encodeRope(ctx: GpuContext, tables: RopeTableCache, p: RopeKernelParams<GpuTensor>): void {
  const L = p.layout;
  const sharedBuffer = p.out.buffer === p.x.buffer;
  // In place: the same elements (core passes equal layouts); the tail then stays as it is.
  const inPlace = sharedBuffer && L.out.offset === L.x.offset && L.out.rowStride === L.x.rowStride;
  const pairs = p.rotaryDim / 2;
  const v: RopeVariant = { dtype: p.dtype, interleaved: p.interleaved, sharedBuffer };
  const tailChunks = inPlace ? 0 : Math.ceil((p.headDim - p.rotaryDim) / 2);
  const perRow = pairs + tailChunks;
  const rows = p.batch * p.seq * p.heads;
  const total = rows * perRow;
  if (total === 0) return;
  const pipeline = ctx.pipeline(ropeKey(v), () => ropeWgsl(v));
  const table = tables.get(p.table);
  const uniforms = ctx.uniforms(ROPE_UNIFORMS, {
    threads: total,
    seq: p.seq,
    heads: p.heads,
    headDim: p.headDim,
    pairs,
    threadsPerRow: perRow,
    tablePerToken: p.table.perToken ? 1 : 0,
    tableRows: p.table.rows,
    xStart: L.x.offset,
    xStride: L.x.rowStride,
    outStart: L.out.offset,
    outStride: L.out.rowStride,
  });
  const bindings = sharedBuffer ? [p.x, table, uniforms] : [p.x, table, uniforms, p.out];
  ctx.dispatch(pipeline, bindings, ctx.grid(Math.ceil(total / WG)), 'rope');
}
