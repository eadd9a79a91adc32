/**
 * f16 storage with f32 compute: before a kernel, its f16 inputs are widened into
 * temporary f32 blocks (assembly/convert.ts, in wasm, on the pool when large); the f32
 * kernel runs on those; its outputs are narrowed back into the f16 tensors (round to
 * nearest even) and the blocks are freed. Halves the memory a tensor holds, not the time
 * a kernel takes. K/V are widened only up to each batch's kvLength (garbage past it is
 * never read, so never converted).
 */
import { writeConvertParams } from './params.js';
import type { Runtime } from './runtime.js';

/** Elements per conversion work unit (as assembly/convert.ts). */
const BLOCK = 4096;
const NS_PER_ELEMENT = 0.25;

function convert(rt: Runtime, kernel: 'widen' | 'narrow', src: number, dst: number, count: number): void {
  if (count <= 0) return;
  writeConvertParams(rt, { src, dst, count });
  rt.run(kernel, Math.ceil(count / BLOCK), count * NS_PER_ELEMENT, 1);
}

export class F16Staging {
  readonly #rt: Runtime;
  /** f16 address -> its f32 block. */
  readonly #blocks = new Map<number, number>();
  readonly #outputs: Array<[f16: number, f32: number, count: number]> = [];

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** The f32 copy of the f16 tensor at `ptr` (`count` elements); `null` stays `null`. */
  input(ptr: number | null, count: number): number {
    if (ptr === null) return 0;
    let block = this.#blocks.get(ptr);
    if (block === undefined) {
      block = this.#rt.heap.alloc(count * 4);
      this.#blocks.set(ptr, block);
      convert(this.#rt, 'widen', ptr, block, count);
    }
    return block;
  }

  /**
   * The f32 copy of `[batch, rows, rowElements]` where only the first `valid[b]` rows of
   * each batch are converted (KV caches: nothing past kvLength is read).
   */
  inputRows(ptr: number, batch: number, rows: number, rowElements: number, valid: Int32Array): number {
    let block = this.#blocks.get(ptr);
    if (block === undefined) {
      block = this.#rt.heap.alloc(batch * rows * rowElements * 4);
      this.#blocks.set(ptr, block);
      for (let b = 0; b < batch; b++) {
        const first = b * rows * rowElements;
        convert(this.#rt, 'widen', ptr + first * 2, block + first * 4, valid[b] * rowElements);
      }
    }
    return block;
  }

  /** An f32 block the kernel writes, narrowed into `ptr` by {@link F16Staging.finish}. */
  output(ptr: number | null, count: number): number {
    if (ptr === null) return 0;
    let block = this.#blocks.get(ptr); // in place: the widened input is the output
    if (block === undefined) {
      block = this.#rt.heap.alloc(count * 4);
      this.#blocks.set(ptr, block);
    }
    this.#outputs.push([ptr, block, count]);
    return block;
  }

  /** Narrow the outputs and free every block (also after a failure: pass `narrow = false`). */
  finish(narrow = true): void {
    if (narrow) for (const [f16, f32, count] of this.#outputs) convert(this.#rt, 'narrow', f32, f16, count);
    for (const block of this.#blocks.values()) this.#rt.heap.free(block);
    this.#blocks.clear();
    this.#outputs.length = 0;
  }
}
