/**
 * GPU buffers pooled by (size class, usage), as tfjs-backend-webgpu's buffer manager does:
 * creating and destroying buffers is slow on every WebGPU implementation, and a decoder
 * step frees and reallocates the same few sizes over and over.
 *
 * Size classes are 2^k, 1.25·2^k, 1.5·2^k and 1.75·2^k bytes (at most 25% waste). A
 * released buffer is kept for reuse until the free list holds more than `maxFreeBytes`;
 * then the oldest free buffers are destroyed.
 */

/** Bytes requested versus bytes held by the pool. */
export interface PoolStats {
  /** Bytes of live tensors (as requested, not rounded up). */
  bytesUsed: number;
  /** Bytes of every GPU buffer the pool holds, live or free. */
  bytesAllocated: number;
  /** Number of GPU buffers held, live or free. */
  buffers: number;
  /** Number of acquisitions served from the free list. */
  reused: number;
}

/** Round `bytes` up to its size class. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  const k = Math.floor(Math.log2(b));
  const base = 2 ** k;
  if (b === base) return b;
  const step = base / 4;
  return Math.min(base * 2, Math.ceil(b / step) * step);
}

export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<string, GPUBuffer[]>();
  /** Buffers handed out and not yet released. */
  readonly #live = new Set<GPUBuffer>();
  readonly #sizes = new WeakMap<GPUBuffer, number>();
  #freeBytes = 0;
  readonly #maxFreeBytes: number;
  readonly stats: PoolStats = { bytesUsed: 0, bytesAllocated: 0, buffers: 0, reused: 0 };

  constructor(device: GPUDevice, maxFreeBytes: number) {
    this.#device = device;
    this.#maxFreeBytes = maxFreeBytes;
  }

  /**
   * A buffer of at least `bytes` bytes with `usage`. `fresh` is true when it was just
   * created (and so is zero-filled); a reused buffer holds old contents.
   */
  acquire(bytes: number, usage: number, label?: string): { buffer: GPUBuffer; fresh: boolean } {
    const size = sizeClass(bytes);
    const key = `${size}:${usage}`;
    this.stats.bytesUsed += bytes;
    const list = this.#free.get(key);
    const reused = list?.pop();
    if (reused) {
      this.#freeBytes -= size;
      this.stats.reused++;
      this.#live.add(reused);
      return { buffer: reused, fresh: false };
    }
    const buffer = this.#device.createBuffer({ size, usage, label });
    this.#sizes.set(buffer, size);
    this.#live.add(buffer);
    this.stats.bytesAllocated += size;
    this.stats.buffers++;
    return { buffer, fresh: true };
  }

  /** Give a buffer back; `bytes` is what was asked for in {@link acquire}. */
  release(buffer: GPUBuffer, bytes: number): void {
    const size = this.#sizes.get(buffer) ?? buffer.size;
    this.stats.bytesUsed -= bytes;
    this.#live.delete(buffer);
    const key = `${size}:${buffer.usage}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, (list = []));
    list.push(buffer);
    this.#freeBytes += size;
    if (this.#freeBytes > this.#maxFreeBytes) this.#trim();
  }

  #trim(): void {
    for (const list of this.#free.values()) {
      while (list.length > 0 && this.#freeBytes > this.#maxFreeBytes / 2) {
        const b = list.shift() as GPUBuffer;
        const size = this.#sizes.get(b) ?? b.size;
        this.#freeBytes -= size;
        this.stats.bytesAllocated -= size;
        this.stats.buffers--;
        b.destroy();
      }
    }
  }

  /**
   * Destroy every buffer this pool made, live ones included (the backend is being disposed:
   * its tensors are unusable from now on). Callers' wrapped buffers never come from here.
   */
  destroyAll(): void {
    this.clear();
    for (const b of this.#live) {
      this.stats.bytesAllocated -= this.#sizes.get(b) ?? b.size;
      this.stats.buffers--;
      b.destroy();
    }
    this.#live.clear();
    this.stats.bytesUsed = 0;
  }

  /** Destroy every free buffer (live ones stay with their owners). */
  clear(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        const size = this.#sizes.get(b) ?? b.size;
        this.stats.bytesAllocated -= size;
        this.stats.buffers--;
        b.destroy();
      }
    }
    this.#free.clear();
    this.#freeBytes = 0;
  }
}
