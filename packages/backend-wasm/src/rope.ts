/**
 * Driver of assembly/rope.ts. Core's cos/sin tables (float64-accurate, attention factor
 * folded in) are copied into wasm memory once and cached by `table.key` (LRU); tables of
 * explicit positions (`key: null`) are copied for the call and freed after it.
 * Tokens are split across threads. x and out may be views (a token every `rowStride`
 * floats from `offset`), e.g. q and k inside one packed QKV projection, rotated in place.
 */
import type { RopeKernelParams, RopeTable } from '@llama-ops/core';
import { writeRopeParams } from './params.js';
import type { Runtime } from './runtime.js';

const NS_PER_BYTE = 0.05;
/** Uploaded tables kept (one per model configuration × prefill/decode range in use). */
const TABLE_CACHE_LIMIT = 64;

interface UploadedTable {
  /** One block: cos then sin, each `rows * pairs` floats. */
  ptr: number;
  sin: number;
}

export class RopeTables {
  readonly #cache = new Map<string, UploadedTable>();

  /** The table's address in wasm memory; `temporary` ones must be freed after the call. */
  get(rt: Runtime, table: RopeTable): UploadedTable & { temporary: boolean } {
    if (table.key !== null) {
      const hit = this.#cache.get(table.key);
      if (hit) {
        this.#cache.delete(table.key);
        this.#cache.set(table.key, hit);
        return { ...hit, temporary: false };
      }
    }
    const n = table.cos.length;
    const ptr = rt.heap.alloc(n * 8);
    const sin = ptr + n * 4;
    rt.heap.f32.set(table.cos, ptr >>> 2);
    rt.heap.f32.set(table.sin, sin >>> 2);
    const uploaded = { ptr, sin };
    if (table.key === null) return { ...uploaded, temporary: true };
    this.#cache.set(table.key, uploaded);
    if (this.#cache.size > TABLE_CACHE_LIMIT) {
      const [oldest, entry] = this.#cache.entries().next().value as [string, UploadedTable];
      this.#cache.delete(oldest);
      rt.heap.free(entry.ptr);
    }
    return { ...uploaded, temporary: false };
  }
}

export function rope(rt: Runtime, tables: RopeTables, p: RopeKernelParams<number>): void {
  const t = tables.get(rt, p.table);
  try {
    writeRopeParams(rt, {
      x: p.x + p.layout.x.offset * 4,
      out: p.out + p.layout.out.offset * 4,
      xRowStride: p.layout.x.rowStride,
      outRowStride: p.layout.out.rowStride,
      cos: t.ptr,
      sin: t.sin,
      seq: p.seq,
      heads: p.heads,
      headDim: p.headDim,
      rotaryDim: p.rotaryDim,
      interleaved: p.interleaved,
      perToken: p.table.perToken,
    });
    const tokens = p.batch * p.seq;
    rt.run('rope', tokens, tokens * p.heads * p.headDim * 8 * NS_PER_BYTE);
  } finally {
    if (t.temporary) rt.heap.free(t.ptr);
  }
}
