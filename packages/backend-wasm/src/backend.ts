/**
 * The wasm `KernelBackend`: tensors are blocks of the wasm heap (the storage handle is
 * the block's byte address), kernels run eagerly and synchronously (on the pool or the
 * calling thread), so `read` only copies the finished values out.
 *
 * `allocate` promises zeros, but most allocations are op outputs that the kernel
 * overwrites entirely; zero-filling them first would add a full write pass (a third of
 * RMSNorm's traffic). So zeroing is deferred: a block stays "unzeroed" until it is used
 * as an input, read, or partly written (copy), which zero-fill it first, or until a
 * kernel writes all of it as an output, which makes zeroing moot.
 *
 * f16 tensors hold half floats; their kernels run in f32 on widened copies (src/f16.ts).
 */
import {
  fromFloat16Array,
  toFloat16Array,
  type BackendCapabilities,
  type CopyKernelParams,
  type DType,
  type GqaKernelParams,
  type KernelBackend,
  type RmsnormKernelParams,
  type RopeKernelParams,
} from '@llama-ops/core';
import { copy } from './copy.js';
import { F16Staging } from './f16.js';
import { gqa } from './gqa.js';
import { rmsnorm } from './rmsnorm.js';
import { rope, RopeTables } from './rope.js';
import type { Runtime } from './runtime.js';

const bytesOf = (dtype: DType): number => (dtype === 'f16' ? 2 : 4);

export class WasmKernels implements KernelBackend<number> {
  readonly name = 'wasm';
  readonly capabilities: BackendCapabilities;
  readonly #rt: Runtime;
  readonly #tables = new RopeTables();
  /** Blocks from `allocate` not yet zeroed nor fully written: address -> bytes. */
  readonly #unzeroed = new Map<number, number>();

  constructor(rt: Runtime, notes: readonly string[]) {
    this.#rt = rt;
    this.capabilities = Object.freeze({
      dtypes: Object.freeze(['f32', 'f16'] as DType[]),
      threads: rt.threads,
      simd: true,
      notes: Object.freeze([...notes]),
    });
  }

  upload(data: Float32Array, dtype: DType): number {
    const heap = this.#rt.heap;
    const ptr = heap.alloc(data.length * bytesOf(dtype));
    if (dtype === 'f16') heap.u16.set(toFloat16Array(data), ptr >>> 1);
    else heap.f32.set(data, ptr >>> 2);
    return ptr;
  }

  allocate(size: number, dtype: DType): number {
    const bytes = size * bytesOf(dtype);
    const ptr = this.#rt.heap.alloc(bytes);
    this.#unzeroed.set(ptr, bytes);
    return ptr;
  }

  read(storage: number, size: number, dtype: DType): Promise<Float32Array> {
    this.#input(storage);
    const heap = this.#rt.heap;
    // slice() copies into a fresh, unshared ArrayBuffer.
    if (dtype === 'f16') return Promise.resolve(fromFloat16Array(heap.u16.slice(storage >>> 1, (storage >>> 1) + size)));
    return Promise.resolve(heap.f32.slice(storage >>> 2, (storage >>> 2) + size));
  }

  free(storage: number): void {
    this.#unzeroed.delete(storage);
    this.#rt.heap.free(storage);
  }

  copy(params: CopyKernelParams<number>): void {
    this.#input(params.src);
    this.#input(params.dst); // partly overwritten: the rest must read as zeros
    copy(this.#rt, params);
  }

  rmsnorm(p: RmsnormKernelParams<number>): void {
    this.#input(p.x, p.residual, p.weight);
    this.#output(p.out, p.sum);
    if (p.dtype === 'f32') return rmsnorm(this.#rt, p);
    const n = p.rows * p.hidden;
    this.#staged((s) =>
      rmsnorm(this.#rt, {
        ...p,
        x: s.input(p.x, n),
        residual: p.residual === null ? null : s.input(p.residual, n),
        weight: s.input(p.weight, p.hidden),
        out: s.output(p.out, n),
        sum: p.sum === null ? null : s.output(p.sum, n),
        dtype: 'f32',
      }),
    );
  }

  rope(p: RopeKernelParams<number>): void {
    this.#input(p.x);
    this.#output(p.out);
    if (p.dtype === 'f32') return rope(this.#rt, this.#tables, p);
    const n = p.batch * p.seq * p.heads * p.headDim;
    this.#staged((s) => rope(this.#rt, this.#tables, { ...p, x: s.input(p.x, n), out: s.output(p.out, n), dtype: 'f32' }));
  }

  gqa(p: GqaKernelParams<number>): void {
    this.#input(p.q, p.k, p.v, p.mask, p.sinks);
    this.#output(p.out);
    if (p.dtype === 'f32') return gqa(this.#rt, p);
    this.#staged((s) =>
      gqa(this.#rt, {
        ...p,
        q: s.input(p.q, p.batch * p.seqQ * p.headsQ * p.headDim),
        k: s.inputRows(p.k, p.batch, p.seqKV, p.headsKV * p.headDim, p.kvLength),
        v: s.inputRows(p.v, p.batch, p.seqKV, p.headsKV * p.headDimV, p.kvLength),
        mask: p.mask === null ? null : s.input(p.mask, p.maskBatch * p.maskHeads * p.seqQ * p.seqKV),
        sinks: p.sinks === null ? null : s.input(p.sinks, p.headsQ),
        out: s.output(p.out, p.batch * p.seqQ * p.headsQ * p.headDimV),
        dtype: 'f32',
      }),
    );
  }

  dispose(): void {
    this.#rt.dispose();
  }

  #staged(run: (staging: F16Staging) => void): void {
    const staging = new F16Staging(this.#rt);
    try {
      run(staging);
    } catch (e) {
      staging.finish(false);
      throw e;
    }
    staging.finish();
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

  /** These blocks are about to be written entirely by a kernel. */
  #output(...storages: Array<number | null>): void {
    if (this.#unzeroed.size === 0) return;
    for (const s of storages) if (s !== null) this.#unzeroed.delete(s);
  }
}
