/**
 * What every kernel driver works with: the heap, this thread's kernel exports, the
 * parameter block (written by the typed writers of src/params.ts), a reusable scratch
 * block, and the worker pool (or none).
 */
import { KERNEL_NAMES, PARAMS_BYTES, type KernelName } from './params.js';
import type { WasmHeap } from './memory.js';
import type { ThreadPool } from './pool.js';

export type KernelFn = (params: number, start: number, end: number, thread: number) => void;

/** One kernel run, as {@link Runtime.trace} sees it (tests: which paths a workload reaches). */
export interface KernelRun {
  kernel: KernelName;
  units: number;
  /** Ran on the worker pool (else on the calling thread alone). */
  pooled: boolean;
  /** What the driver chose, where it passes it (gqa: blockMajor, packed, tileRows, headChunks). */
  detail?: Readonly<Record<string, number | boolean>>;
}

/**
 * Default estimated single-thread time (ns) below which a kernel runs on the calling
 * thread only: waking the pool costs ~26 µs in Node, and a split must win that back.
 */
export const DEFAULT_MIN_PARALLEL_NS = 150_000;

export class Runtime {
  readonly heap: WasmHeap;
  readonly pool: ThreadPool | null;
  /** Threads a kernel may use (the pool's, or 1). */
  readonly threads: number;
  /** Byte address of the parameter block every kernel call reads (PARAMS_BYTES bytes). */
  readonly params: number;
  readonly #fns: readonly KernelFn[];
  readonly #minParallelNs: number;
  #scratch = 0;
  #scratchBytes = 0;
  /** @internal Called with every kernel run while set (tests and diagnostics). */
  trace: ((run: KernelRun) => void) | null = null;

  constructor(heap: WasmHeap, fns: readonly KernelFn[], pool: ThreadPool | null, minParallelNs = DEFAULT_MIN_PARALLEL_NS) {
    this.heap = heap;
    this.#minParallelNs = minParallelNs;
    this.#fns = fns;
    this.pool = pool;
    this.threads = pool ? pool.threads : 1;
    this.params = heap.alloc(PARAMS_BYTES);
  }

  /**
   * A block of at least `bytes` bytes for one kernel call (GQA tiles, per-batch arrays).
   * Kept between calls and grown when needed; valid until the next `scratch` call.
   */
  scratch(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      const grown = Math.max(bytes, 2 * this.#scratchBytes);
      if (this.#scratch) this.heap.free(this.#scratch);
      // A failure below leaves no scratch (never a freed one), so the next call starts afresh.
      this.#scratch = 0;
      this.#scratchBytes = 0;
      // Doubling saves regrowth as calls grow; when memory is short, exactly what is asked.
      try {
        this.#scratch = this.heap.alloc(grown);
        this.#scratchBytes = grown;
      } catch {
        this.#scratch = this.heap.alloc(bytes);
        this.#scratchBytes = bytes;
      }
    }
    return this.#scratch;
  }

  /** Whether a kernel of `units` units and this much work would run on the pool. */
  parallel(units: number, workNs: number): boolean {
    return this.pool !== null && units > 1 && workNs >= this.#minParallelNs;
  }

  /**
   * Run `kernel` over units `[0, units)`: on the pool when there is one and the
   * estimated single-thread time `workNs` pays for it, else on this thread.
   * @param chunk - units per grab on the pool (default: ~8 grabs per thread).
   * @param detail - the driver's choices, for {@link Runtime.trace} (pass it only while tracing).
   */
  run(kernel: KernelName, units: number, workNs: number, chunk?: number, detail?: KernelRun['detail']): void {
    if (units <= 0) return;
    const op = KERNEL_NAMES.indexOf(kernel);
    const pooled = this.pool !== null && this.parallel(units, workNs);
    if (this.trace) this.trace({ kernel, units, pooled, detail });
    if (this.pool && pooled) {
      const c = chunk ?? Math.max(1, Math.floor(units / (this.threads * 8)));
      this.pool.run(op, this.params, units, c);
    } else {
      this.#fns[op](this.params, 0, units, 0);
    }
  }

  dispose(): void {
    this.pool?.dispose();
  }
}
