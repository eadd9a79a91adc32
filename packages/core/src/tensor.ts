import type { Backend } from './backend.js';
import { DisposedError, UnsupportedError, ValueError } from './errors.js';
import type { DType, GpuBufferHandle, StorageRegion } from './kernels.js';

const TENSOR_BRAND = Symbol.for('@llama-ops/core.Tensor');

/** How a tensor holds its memory. */
export type TensorMemory = 'owned' | 'external' | 'view';

/** @internal Everything {@link Tensor}'s constructor needs; made by the backend. */
export interface TensorInit {
  readonly backend: Backend;
  readonly storage: unknown;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly memory: TensorMemory;
  /** Element offset in `storage` (0 for owned tensors). */
  readonly offset: number;
  /** Elements between rows (`rowLength(shape)` for contiguous tensors). */
  readonly rowStride: number;
  /** The viewed tensor (views only). */
  readonly base: Tensor | null;
}

/**
 * Elements of one row of a tensor of `shape`, the unit a view's `rowStride` steps over:
 * a token (`shape[2] * shape[3] * ...`) for rank 3 and above (`[batch, seq, ...]`), the last
 * dimension for rank 2, the whole tensor for rank 1.
 */
export function rowLength(shape: readonly number[]): number {
  if (shape.length <= 1) return shape.length === 0 ? 1 : shape[0];
  if (shape.length === 2) return shape[1];
  let n = 1;
  for (let i = 2; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * A row-major tensor that lives in its backend's memory (JS heap, wasm memory or a GPU
 * buffer). Ops take and return tensors without copying through JS.
 *
 * A tensor either owns its memory (made by `backend.tensor()`, `backend.empty()` or an op),
 * wraps memory it does not own (`backend.fromGPUBuffer()`), or is a view of another tensor
 * (`backend.view()`): rows of {@link Tensor.rowLength} contiguous elements,
 * {@link Tensor.rowStride} elements apart, starting at {@link Tensor.offset}.
 */
export class Tensor {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Storage element type. */
  readonly dtype: DType;
  /** The backend whose memory holds this tensor. */
  readonly backend: Backend;
  /** Number of elements (the product of `shape`). */
  readonly size: number;
  /** @internal The backend's storage handle. Use only inside a backend or core. */
  readonly storage: unknown;
  /** Whether this tensor owns its memory, wraps a caller's, or views another tensor's. */
  readonly memory: TensorMemory;
  /** Element offset of the first element in the underlying storage (0 unless a view or a wrapped buffer at an offset). */
  readonly offset: number;
  /** Elements of one row: a token for rank >= 3, the last dimension for rank 2 (see {@link rowLength}). */
  readonly rowLength: number;
  /** Elements from one row's start to the next's (equals `rowLength` unless a strided view). */
  readonly rowStride: number;
  /** The tensor this one views, or null. A view keeps its base alive and dies with it. */
  readonly base: Tensor | null;
  /**
   * Synchronous {@link Tensor.read}, on backends whose memory the CPU reads directly (cpu,
   * wasm); `undefined` on GPU backends. With `into`, fills and returns it.
   */
  readonly readSync?: (into?: Float32Array) => Float32Array;
  #disposed = false;
  /** @internal */
  readonly [TENSOR_BRAND] = true;

  /** @internal Tensors are made by a backend (`tensor`, `empty`, `view`, `fromGPUBuffer`) and by ops. */
  constructor(init: TensorInit) {
    this.backend = init.backend;
    this.storage = init.storage;
    this.shape = Object.freeze([...init.shape]);
    this.dtype = init.dtype;
    this.size = init.shape.reduce((a, b) => a * b, 1);
    this.memory = init.memory;
    this.offset = init.offset;
    this.rowLength = rowLength(init.shape);
    this.rowStride = init.rowStride;
    this.base = init.base;
    if (this.backend.kernels.readSync) {
      this.readSync = (into?: Float32Array) => {
        const out = this.#target('tensor.readSync', into);
        this.backend.kernels.readSync?.(this.storage, this.#region(), this.dtype, out);
        return out;
      };
    }
  }

  /** Number of rows (`size / rowLength`). */
  get rows(): number {
    return this.size / this.rowLength;
  }

  /** True when the elements are one contiguous run (no gaps between rows). */
  get contiguous(): boolean {
    return this.rowStride === this.rowLength || this.rows === 1;
  }

  /** True after {@link Tensor.dispose}, once its base is disposed (views), or once its backend is disposed. */
  get disposed(): boolean {
    return this.#disposed || this.backend.disposed || this.base?.disposed === true;
  }

  /**
   * Download the values as float32 (f16 tensors are widened), after every op queued so far.
   * @param into - optional destination of exactly `size` elements: it is filled and returned,
   *   and nothing is allocated.
   * @throws DisposedError (as a rejection) if the tensor was disposed.
   * @throws ValueError (as a rejection) when `into` is not a Float32Array of `size` elements.
   */
  async read(into?: Float32Array): Promise<Float32Array> {
    const out = this.#target('tensor.read', into);
    const k = this.backend.kernels;
    if (k.readInto) {
      await k.readInto(this.storage, this.#region(), this.dtype, out);
      return out;
    }
    if (this.offset !== 0 || !this.contiguous) {
      // A backend without readInto reads whole storages: read a dense copy of the view.
      const copy = this.backend.denseCopy('tensor.read', this);
      try {
        return await copy.read(out);
      } finally {
        copy.dispose();
      }
    }
    const values = await k.read(this.storage, this.size, this.dtype);
    if (into === undefined) return values;
    out.set(values.subarray(0, this.size));
    return out;
  }

  /**
   * Overwrite the tensor's values with `data` (`size` numbers, row-major), in order with the
   * ops queued before and after it. The upload into an existing tensor: no new tensor, and on
   * cpu and wasm no allocation.
   * @throws ValueError when `data` is not `size` numbers.
   */
  write(data: Float32Array | Float64Array | readonly number[]): void {
    const op = 'tensor.write';
    this.#checkLive(op);
    if (data === null || typeof data !== 'object' || typeof (data as { length?: unknown }).length !== 'number') {
      throw new ValueError({ op, argument: 'data', expected: `${this.size} numbers (a Float32Array, Float64Array or number[])`, actual: typeof data });
    }
    if (data.length !== this.size) {
      throw new ValueError({ op, argument: 'data.length', expected: `${this.size} (the tensor's size)`, actual: String(data.length) });
    }
    this.backend.writeTensor(op, this, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  /**
   * A zero-copy `Float32Array` over this tensor's elements in backend memory, on backends
   * whose memory the CPU addresses directly (cpu, wasm), for f32 tensors that are contiguous.
   * Writing into it writes the tensor. It is valid until the tensor is disposed and, on wasm,
   * until the backend next allocates memory (any tensor, op or view may grow the wasm memory,
   * which detaches or outgrows the array): take it, use it, drop it. `be.empty(shape)` then
   * `t.view().set(data)` is an upload with no intermediate copy.
   * @throws UnsupportedError on backends without host memory (webgpu), for f16 tensors and for strided views.
   */
  view(): Float32Array {
    const op = 'tensor.view';
    this.#checkLive(op);
    const k = this.backend.kernels;
    if (!k.hostView) {
      throw new UnsupportedError({ op, argument: 'tensor', expected: 'a backend with host memory (cpu, wasm)', actual: `the ${this.backend.name} backend`, hint: 'use read() / write()' });
    }
    if (this.dtype !== 'f32') {
      throw new UnsupportedError({ op, argument: 'tensor', expected: 'an f32 tensor', actual: this.dtype, hint: 'f16 tensors hold half-float bits: use read() / write()' });
    }
    if (!this.contiguous) {
      throw new UnsupportedError({ op, argument: 'tensor', expected: 'a contiguous tensor', actual: `a view with rowStride ${this.rowStride} > rowLength ${this.rowLength}`, hint: 'take view() of its base tensor' });
    }
    return k.hostView(this.storage, this.offset, this.size);
  }

  /**
   * The GPU buffer holding this tensor (WebGPU backend), to bind in the caller's own passes;
   * `undefined` elsewhere. Its elements start at {@link Tensor.gpuOffset} bytes. Buffers the
   * backend owns are destroyed or reused once the tensor is disposed.
   */
  get gpuBuffer(): GpuBufferHandle | undefined {
    return this.backend.kernels.gpuBufferOf?.(this.storage).buffer;
  }

  /** Byte offset of element 0 in {@link Tensor.gpuBuffer}; `undefined` off the GPU. */
  get gpuOffset(): number | undefined {
    const b = this.backend.kernels.gpuBufferOf?.(this.storage);
    return b === undefined ? undefined : b.byteOffset + this.offset * (this.dtype === 'f16' ? 2 : 4);
  }

  /**
   * Free the tensor's memory (a view frees nothing; a wrapped GPU buffer is never destroyed).
   * Idempotent; using the tensor afterwards throws `DisposedError`.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.backend.releaseTensor(this);
  }

  /** @internal The region of storage this tensor covers. */
  region(): StorageRegion {
    return this.#region();
  }

  #region(): StorageRegion {
    return { offset: this.offset, rowStride: this.rowStride, rows: this.rows, rowSize: this.rowLength };
  }

  #checkLive(op: string): void {
    if (!this.disposed) return;
    const hint = this.backend.disposed
      ? `the ${this.backend.name} backend was disposed`
      : this.#disposed
        ? 'the tensor was disposed'
        : 'the tensor it views was disposed';
    throw new DisposedError({ op, argument: 'tensor', hint });
  }

  #target(op: string, into: Float32Array | undefined): Float32Array {
    this.#checkLive(op);
    if (into === undefined) return new Float32Array(this.size);
    if (!(into instanceof Float32Array) || into.length !== this.size) {
      throw new ValueError({
        op,
        argument: 'into',
        expected: `a Float32Array of ${this.size} elements (the tensor's size)`,
        actual: into instanceof Float32Array ? `${into.length} elements` : typeof into,
      });
    }
    return into;
  }
}

/** True if `value` is a llama-ops {@link Tensor} (works across duplicated module copies). */
export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TENSOR_BRAND] === true;
}
