/**
 * The wasm `KernelBackend`: tensors are blocks of the wasm heap (the storage handle is
 * the block's byte address), kernels run eagerly and synchronously (on the pool or the
 * calling thread), so reads only copy the finished values out.
 *
 * Views: every kernel takes each operand at an element offset with a row stride
 * (`capabilities.views`), so core hands views (q/k/v of one packed QKV projection, an
 * `out` inside a larger tensor) to the kernels as they are, without copies.
 *
 * `allocate` promises zeros, but most allocations are op outputs that the kernel
 * overwrites entirely; zero-filling them first would add a full write pass (a third of
 * RMSNorm's traffic). So zeroing is deferred: a block stays "unzeroed" until it is used
 * as an input, read, viewed, or partly written (a copy, a view as output), which zero-fill
 * it first, or until a kernel or `write` covers all of it, which makes zeroing moot.
 *
 * f16 tensors hold half floats; their kernels run in f32 on widened dense copies (src/f16.ts),
 * except GQA's K/V, which its kernels read as f16 (src/gqa.ts).
 */
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  type BackendCapabilities,
  type CopyKernelParams,
  type DType,
  type GqaKernelParams,
  type KernelBackend,
  type OperandLayout,
  type RmsnormKernelParams,
  type RopeKernelParams,
  type StorageRegion,
} from '@llama-ops/core';
import { version } from '../package.json';
import { copy } from './copy.js';
import { F16Staging } from './f16.js';
import { gqa } from './gqa.js';
import type { WasmHeap } from './memory.js';
import { rmsnorm } from './rmsnorm.js';
import { rope, RopeTables } from './rope.js';
import type { KernelRun, Runtime } from './runtime.js';

const bytesOf = (dtype: DType): number => (dtype === 'f16' ? 2 : 4);

/** The layout of a dense operand of `rowSize`-element rows. */
const dense = (rowSize: number): OperandLayout => ({ offset: 0, rowStride: rowSize });

/** Every half's float value, indexed by its bits (256 KiB, made on the first f16 read). */
let halfToFloat: Float32Array | null = null;
function halfTable(): Float32Array {
  if (halfToFloat === null) {
    halfToFloat = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfToFloat[h] = float16BitsToFloat32(h);
  }
  return halfToFloat;
}

export class WasmKernels implements KernelBackend<number> {
  readonly name = 'wasm';
  /** This package's version (conformance verdicts are cached per backend version). */
  readonly version: string = version;
  readonly capabilities: BackendCapabilities;
  /** The most bytes of tensors (and scratch) wasm memory can hold: its maximum. */
  readonly capacityBytes: number;
  readonly #rt: Runtime;
  readonly #tables = new RopeTables();
  /** Blocks from `allocate` not yet zeroed nor fully written: address -> bytes. */
  readonly #unzeroed = new Map<number, number>();

  constructor(rt: Runtime, notes: readonly string[]) {
    this.#rt = rt;
    this.capacityBytes = rt.heap.maxBytes;
    this.capabilities = Object.freeze({
      dtypes: Object.freeze(['f32', 'f16'] as DType[]),
      threads: rt.threads,
      simd: true,
      views: true,
      notes: Object.freeze([...notes]),
    });
  }

  /**
   * @internal Calls `fn` with every kernel run (name, units, on the pool or not, the GQA
   * driver's choices) until set to null: tests check which kernel paths a workload reaches.
   */
  set trace(fn: ((run: KernelRun) => void) | null) {
    this.#rt.trace = fn;
  }

  /** @internal The tensor heap (its `bytesInUse` and `bytesReserved`), for tests and diagnostics. */
  get heap(): WasmHeap {
    return this.#rt.heap;
  }

  upload(data: Float32Array, dtype: DType): number {
    const heap = this.#rt.heap;
    const ptr = heap.alloc(data.length * bytesOf(dtype));
    this.#store(ptr, { offset: 0, rowStride: data.length, rows: 1, rowSize: data.length }, dtype, data);
    return ptr;
  }

  allocate(size: number, dtype: DType): number {
    const bytes = size * bytesOf(dtype);
    const ptr = this.#rt.heap.alloc(bytes);
    this.#unzeroed.set(ptr, bytes);
    return ptr;
  }

  read(storage: number, size: number, dtype: DType): Promise<Float32Array> {
    const into = new Float32Array(size);
    this.readSync(storage, { offset: 0, rowStride: size, rows: 1, rowSize: size }, dtype, into);
    return Promise.resolve(into);
  }

  readInto(storage: number, region: StorageRegion, dtype: DType, into: Float32Array): Promise<void> {
    this.readSync(storage, region, dtype, into);
    return Promise.resolve();
  }

  /** Copies the region's rows into `into` (f16 widened through a table), allocating nothing. */
  readSync(storage: number, region: StorageRegion, dtype: DType, into: Float32Array): void {
    this.#input(storage);
    const { offset, rowStride, rows, rowSize } = region;
    const heap = this.#rt.heap;
    if (dtype === 'f32') {
      const f32 = heap.f32;
      const base = (storage >>> 2) + offset;
      if (rows === 1 || rowStride === rowSize) {
        into.set(f32.subarray(base, base + rows * rowSize));
        return;
      }
      for (let r = 0; r < rows; r++) {
        const from = base + r * rowStride;
        into.set(f32.subarray(from, from + rowSize), r * rowSize);
      }
      return;
    }
    const u16 = heap.u16;
    const table = halfTable();
    const base = (storage >>> 1) + offset;
    for (let r = 0; r < rows; r++) {
      const from = base + r * rowStride;
      const to = r * rowSize;
      for (let i = 0; i < rowSize; i++) into[to + i] = table[u16[from + i]];
    }
  }

  write(storage: number, region: StorageRegion, dtype: DType, data: Float32Array): void {
    this.#output(storage, region, region.rows, region.rowSize, dtype);
    this.#store(storage, region, dtype, data);
  }

  /**
   * A Float32Array over the elements in wasm memory (no copy). It is valid until the tensor
   * is freed and until the next allocation that grows wasm memory: growth detaches a plain
   * (one-thread) memory's buffer, leaving the array empty, and a shared memory's array keeps
   * its old length. Any tensor, op or view may allocate: take the array, use it, drop it.
   */
  hostView(storage: number, offset: number, size: number): Float32Array {
    this.#input(storage);
    return new Float32Array(this.#rt.heap.memory.buffer, storage + offset * 4, size);
  }

  free(storage: number): void {
    this.#unzeroed.delete(storage);
    this.#rt.heap.free(storage);
  }

  copy(params: CopyKernelParams<number>): void {
    this.#input(params.src);
    const region = { offset: params.dstOffset, rowStride: params.dstRowStride };
    this.#output(params.dst, region, params.rows, params.count, params.dtype);
    copy(this.#rt, params);
  }

  rmsnorm(p: RmsnormKernelParams<number>): void {
    const { layout, rows, hidden } = p;
    this.#input(p.x, p.residual, p.weight);
    this.#output(p.out, layout.out, rows, hidden, p.dtype);
    if (p.sum !== null) this.#output(p.sum, layout.sum, rows, hidden, p.dtype);
    if (p.dtype === 'f32') {
      rmsnorm(this.#rt, p);
      return;
    }
    this.#staged((s) =>
      rmsnorm(this.#rt, {
        ...p,
        x: s.input(p.x, layout.x, rows, hidden),
        residual: p.residual === null ? null : s.input(p.residual, layout.residual, rows, hidden),
        weight: s.input(p.weight, layout.weight, 1, hidden),
        out: s.output(p.out, layout.out, rows, hidden),
        sum: p.sum === null ? null : s.output(p.sum, layout.sum, rows, hidden),
        dtype: 'f32',
        layout: { x: dense(hidden), residual: dense(hidden), weight: dense(hidden), out: dense(hidden), sum: dense(hidden) },
      }),
    );
  }

  rope(p: RopeKernelParams<number>): void {
    const tokens = p.batch * p.seq;
    const token = p.heads * p.headDim;
    this.#input(p.x);
    this.#output(p.out, p.layout.out, tokens, token, p.dtype);
    if (p.dtype === 'f32') {
      rope(this.#rt, this.#tables, p);
      return;
    }
    this.#staged((s) =>
      rope(this.#rt, this.#tables, {
        ...p,
        x: s.input(p.x, p.layout.x, tokens, token),
        out: s.output(p.out, p.layout.out, tokens, token),
        dtype: 'f32',
        layout: { x: dense(token), out: dense(token) },
      }),
    );
  }

  gqa(p: GqaKernelParams<number>): void {
    const { layout } = p;
    const queries = p.batch * p.seqQ;
    this.#input(p.q, p.k, p.v, p.mask, p.sinks);
    this.#output(p.out, layout.out, queries, p.headsQ * p.headDimV, p.dtype);
    if (p.dtype === 'f32') {
      gqa(this.#rt, p);
      return;
    }
    const qRow = p.headsQ * p.headDim;
    const kRow = p.headsKV * p.headDim;
    const vRow = p.headsKV * p.headDimV;
    const outRow = p.headsQ * p.headDimV;
    const maskSize = p.maskBatch * p.maskHeads * p.seqQ * p.seqKV;
    // K/V (the cache: most of the bytes) are read as f16 by the kernels themselves
    // (`direct`); Q, mask, sinks and the output (a token's worth per decode) are staged.
    // Where K/V read in registers held an Inf/NaN half, src/gqa.ts says so and the call
    // runs again on widened K/V (exact), as every f16 call did before.
    const staged = (direct: boolean) =>
      this.#staged((s) =>
        gqa(
          this.#rt,
          {
            ...p,
            q: s.input(p.q, layout.q, queries, qRow),
            k: direct ? p.k : s.inputRows(p.k, layout.k, p.batch, p.seqKV, kRow, p.kvLength),
            v: direct ? p.v : s.inputRows(p.v, layout.v, p.batch, p.seqKV, vRow, p.kvLength),
            // mask and sinks are contiguous (at an offset): one run each.
            mask: p.mask === null ? null : s.input(p.mask, { offset: layout.mask.offset, rowStride: maskSize }, 1, maskSize),
            sinks: p.sinks === null ? null : s.input(p.sinks, { offset: layout.sinks.offset, rowStride: p.headsQ }, 1, p.headsQ),
            out: s.output(p.out, layout.out, queries, outRow),
            dtype: 'f32',
            layout: {
              q: dense(qRow),
              k: direct ? layout.k : dense(kRow),
              v: direct ? layout.v : dense(vRow),
              out: dense(outRow),
              mask: dense(p.seqKV),
              sinks: dense(p.headsQ),
            },
          },
          direct,
        ),
      );
    if (!staged(true)) staged(false);
  }

  dispose(): void {
    this.#rt.dispose();
  }

  /** `data` into the region's rows (f16 narrowed, round to nearest even), allocating nothing. */
  #store(storage: number, region: StorageRegion, dtype: DType, data: Float32Array): void {
    const { offset, rowStride, rows, rowSize } = region;
    const heap = this.#rt.heap;
    if (dtype === 'f32') {
      const base = (storage >>> 2) + offset;
      if (rows === 1 || rowStride === rowSize) {
        heap.f32.set(rows * rowSize === data.length ? data : data.subarray(0, rows * rowSize), base);
        return;
      }
      for (let r = 0; r < rows; r++) heap.f32.set(data.subarray(r * rowSize, (r + 1) * rowSize), base + r * rowStride);
      return;
    }
    const u16 = heap.u16;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const base = (storage >>> 1) + offset;
    for (let r = 0; r < rows; r++) {
      const to = base + r * rowStride;
      const from = r * rowSize;
      for (let i = 0; i < rowSize; i++) {
        // f16's normal range on the bits (about 10x faster than a call per value, which
        // mattered for multi-MiB uploads); the rest (subnormals, overflow, Inf, NaN) through
        // core's exact conversion. Round to nearest, ties to even; a carry into the exponent
        // is the correct rounding (up to Inf past 65504).
        const x = bits[from + i];
        const exp = (x >>> 23) & 0xff;
        if (exp >= 113 && exp <= 142) {
          const m = x & 0x7fffff;
          let h = ((exp - 112) << 10) | (m >>> 13);
          const rest = m & 0x1fff;
          if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
          u16[to + i] = ((x >>> 16) & 0x8000) | h;
        } else {
          u16[to + i] = float32ToFloat16Bits(data[from + i]);
        }
      }
    }
  }

  #staged<T>(run: (staging: F16Staging) => T): T {
    const staging = new F16Staging(this.#rt);
    let result: T;
    try {
      result = run(staging);
    } catch (e) {
      staging.finish(false);
      throw e;
    }
    staging.finish();
    return result;
  }

  /** Zero-fill any of these blocks still pending from `allocate` (they are about to be read). */
  #input(...storages: Array<number | null>): void {
    if (this.#unzeroed.size === 0) return;
    for (const s of storages) {
      if (s === null) continue;
      const bytes = this.#unzeroed.get(s);
      if (bytes === undefined) continue;
      this.#rt.heap.u8.fill(0, s, s + bytes);
      this.#unzeroed.delete(s);
    }
  }

  /**
   * `rows` rows of `rowSize` elements at `layout` of `storage` are about to be written. A
   * pending block they cover entirely needs no zeros; one they cover in part (a view) is
   * zero-filled first, so that the rest of it reads as zeros.
   */
  #output(storage: number, layout: OperandLayout, rows: number, rowSize: number, dtype: DType): void {
    if (this.#unzeroed.size === 0) return;
    const bytes = this.#unzeroed.get(storage);
    if (bytes === undefined) return;
    const whole = layout.offset === 0 && (rows === 1 || layout.rowStride === rowSize) && rows * rowSize * bytesOf(dtype) === bytes;
    if (whole) this.#unzeroed.delete(storage);
    else this.#input(storage);
  }
}
