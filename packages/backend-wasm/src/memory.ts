import { CapacityError } from '@llama-ops/core';

/**
 * The tensor heap: a first-fit free list over the wasm linear memory, above the module's
 * static data. Blocks are 64-byte aligned (a cache line; SIMD loads need 16) and
 * coalesced with their neighbours on free; a freed block at the top lowers the top.
 * When nothing fits, memory grows by whole pages, up to the memory's maximum; past it
 * `alloc` throws a CapacityError and changes nothing (the caller frees what it allocated
 * before, and core names the user's op in the error it rethrows). Growth detaches a plain
 * memory's ArrayBuffer (a shared one is replaced by a longer one), so the typed views are
 * re-created after every growth: always reach memory through `heap.f32` & co, never
 * through a view kept across an allocation.
 */

const ALIGN = 64;
const PAGE = 65536;
/** The wasm32 limit: 65536 pages of 64 KiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

interface Block {
  ptr: number;
  size: number;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** The most bytes the memory may grow to (its maximum). */
  readonly maxBytes: number;
  f32!: Float32Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  u16!: Uint16Array;
  u8!: Uint8Array;
  #top: number;
  readonly #free: Block[] = [];
  readonly #sizes = new Map<number, number>();

  /**
   * @param base - first byte the heap may use (the module's `heapBase()`).
   * @param maxBytes - the memory's maximum (WebAssembly.Memory does not report it).
   */
  constructor(memory: WebAssembly.Memory, base: number, maxBytes = MAX_MEMORY_BYTES) {
    this.memory = memory;
    this.maxBytes = maxBytes;
    this.#top = alignUp(Math.max(base, ALIGN), ALIGN);
    this.#refresh();
  }

  /** Bytes currently allocated (live blocks). */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.#sizes.values()) n += s;
    return n;
  }

  /** Size of the linear memory in bytes. */
  get bytesReserved(): number {
    return this.memory.buffer.byteLength;
  }

  /** A 64-byte-aligned block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    const free = this.#free;
    for (let i = 0; i < free.length; i++) {
      const b = free[i];
      if (b.size < size) continue;
      const ptr = b.ptr;
      if (b.size === size) free.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      this.#sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.#top;
    this.#ensure(ptr + size);
    this.#top = ptr + size;
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** Return a block from {@link WasmHeap.alloc}. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: free of unknown pointer ${ptr}`);
    this.#sizes.delete(ptr);
    const free = this.#free;
    // Insert sorted by address, then merge with the previous and next blocks.
    let i = 0;
    while (i < free.length && free[i].ptr < ptr) i++;
    let block: Block = { ptr, size };
    if (i > 0 && free[i - 1].ptr + free[i - 1].size === ptr) {
      block = free[i - 1];
      block.size += size;
      i--;
    } else {
      free.splice(i, 0, block);
    }
    const next = free[i + 1];
    if (next && block.ptr + block.size === next.ptr) {
      block.size += next.size;
      free.splice(i + 1, 1);
    }
    if (block.ptr + block.size === this.#top) {
      this.#top = block.ptr;
      free.splice(i, 1);
    }
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      if (end > this.maxBytes) throw new RangeError('past the maximum');
      this.memory.grow(pages);
    } catch (cause) {
      // Core rethrows this as a CapacityError of the user's op with this message inside
      // ("no room (...)"), the live tensors and a pointer to scope().
      const err = new CapacityError({
        op: 'wasm.alloc',
        argument: 'memory',
        expected: `at most ${formatBytes(this.maxBytes)} (the wasm memory's maximum)`,
        actual: `${formatBytes(end)} needed, with ${formatBytes(this.bytesInUse)} in use`,
      });
      (err as { cause?: unknown }).cause = cause;
      throw err;
    }
    this.#refresh();
  }

  #refresh(): void {
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}
