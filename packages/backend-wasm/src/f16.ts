/**
 * f16 storage with f32 compute: before a kernel, its f16 inputs are widened into
 * temporary dense f32 blocks (assembly/convert.ts, in wasm, on the pool when large); the
 * f32 kernel runs on those with dense layouts; its outputs are narrowed back into the f16
 * tensors (round to nearest even) and the blocks are freed. Halves the memory a tensor
 * holds, not the time a kernel takes. Operands may be views: only their rows are widened
 * (q, k and v of one packed tensor become three blocks), and outputs are narrowed into
 * their rows, leaving the gaps between them untouched. K/V are widened only up to each
 * batch's kvLength (garbage past it is never read, so never converted).
 *
 * GQA's K/V (the KV cache, most of a decode's bytes) are no longer staged: its kernels read
 * f16 themselves (src/gqa.ts, assembly/gqa.ts); only Q, mask, sinks and the output go
 * through here, and K/V too when a call's kernels met an Inf/NaN half (the exact rerun).
 * Decode over 32768 keys, 1 thread: MHA 32/32/128 118.6 -> 59.9 ms, 32/8/64 28.0 -> 17.6
 * (more in src/gqa.ts); no f32 copy of the cache is allocated (before: twice its size).
 */
import type { OperandLayout } from '@llama-ops/core';
import { writeConvertParams } from './params.js';
import type { Runtime } from './runtime.js';

/** Elements per conversion work unit (as assembly/convert.ts). */
const BLOCK = 4096;
const NS_PER_ELEMENT = 0.25;

/**
 * `rows` rows of `count` elements from `src` (`srcStride` elements apart) to `dst`
 * (`dstStride` apart); rows that are contiguous on both sides go as one run.
 */
function convert(rt: Runtime, kernel: 'widen' | 'narrow', src: number, srcStride: number, dst: number, dstStride: number, rows: number, count: number): void {
  if (count <= 0 || rows <= 0) return;
  if (rows > 1 && srcStride === count && dstStride === count) {
    count *= rows;
    rows = 1;
  }
  writeConvertParams(rt, { src, dst, count, rows, srcRowStride: srcStride, dstRowStride: dstStride });
  rt.run(kernel, rows * Math.ceil(count / BLOCK), rows * count * NS_PER_ELEMENT, 1);
}

interface StagedOutput {
  readonly ptr: number;
  readonly layout: OperandLayout;
  readonly rows: number;
  readonly rowSize: number;
  readonly block: number;
}

export class F16Staging {
  readonly #rt: Runtime;
  /** Operand (address, offset, stride, rows, row size) -> its dense f32 block. */
  readonly #blocks = new Map<string, number>();
  readonly #outputs: StagedOutput[] = [];

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** The dense f32 copy (`rows` rows of `rowSize`) of the f16 operand at `ptr` and `layout`. */
  input(ptr: number, layout: OperandLayout, rows: number, rowSize: number): number {
    return this.#block(ptr, layout, rows, rowSize, (block) =>
      convert(this.#rt, 'widen', ptr + layout.offset * 2, layout.rowStride, block, rowSize, rows, rowSize),
    );
  }

  /**
   * The dense f32 copy of `[batch, seqRows, rowSize]` where only the first `valid[b]` rows of
   * each batch are converted (KV caches: nothing past kvLength is read).
   */
  inputRows(ptr: number, layout: OperandLayout, batch: number, seqRows: number, rowSize: number, valid: Int32Array): number {
    return this.#block(ptr, layout, batch * seqRows, rowSize, (block) => {
      for (let b = 0; b < batch; b++) {
        const src = ptr + (layout.offset + b * seqRows * layout.rowStride) * 2;
        convert(this.#rt, 'widen', src, layout.rowStride, block + b * seqRows * rowSize * 4, rowSize, valid[b], rowSize);
      }
    });
  }

  /** A dense f32 block the kernel writes, narrowed into the operand's rows by {@link F16Staging.finish}. */
  output(ptr: number, layout: OperandLayout, rows: number, rowSize: number): number {
    // In place (rope): the widened input is the output.
    const block = this.#block(ptr, layout, rows, rowSize, () => {});
    this.#outputs.push({ ptr, layout, rows, rowSize, block });
    return block;
  }

  /** Narrow the outputs and free every block (also after a failure: pass `narrow = false`). */
  finish(narrow = true): void {
    if (narrow) {
      for (const o of this.#outputs) convert(this.#rt, 'narrow', o.block, o.rowSize, o.ptr + o.layout.offset * 2, o.layout.rowStride, o.rows, o.rowSize);
    }
    for (const block of this.#blocks.values()) this.#rt.heap.free(block);
    this.#blocks.clear();
    this.#outputs.length = 0;
  }

  #block(ptr: number, layout: OperandLayout, rows: number, rowSize: number, fill: (block: number) => void): number {
    const key = `${ptr}:${layout.offset}:${layout.rowStride}:${rows}:${rowSize}`;
    let block = this.#blocks.get(key);
    if (block === undefined) {
      block = this.#rt.heap.alloc(rows * rowSize * 4);
      this.#blocks.set(key, block);
      fill(block);
    }
    return block;
  }
}
