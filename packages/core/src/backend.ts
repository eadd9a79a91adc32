import { CapacityError, DisposedError, LlamaOpsError, UnsupportedError, ValueError } from './errors.js';
import type { BackendCapabilities, DType, GpuBufferHandle, KernelBackend } from './kernels.js';
import { Tensor, isTensor, rowLength } from './tensor.js';
import { checkNumber, checkOptions, checkShape, checkTensor, formatShape, shapeSize } from './validation.js';

/** Options of {@link Backend.tensor} and {@link Backend.empty}. */
export interface TensorOptions {
  /** Storage dtype (default `'f32'`); the backend must list it in `capabilities.dtypes`. */
  dtype?: DType;
}

/** Options of {@link Backend.view}. */
export interface ViewOptions {
  /** Shape of the view. Its rows (see {@link rowLength}) are contiguous runs of the base. */
  shape: readonly number[];
  /** Element offset of the view's first element in the viewed tensor. Default 0. */
  offset?: number;
  /**
   * Elements from one row's start to the next's, in the viewed tensor (default: the row
   * length, i.e. contiguous). A row is a token for rank >= 3 (`[batch, seq, ...]`), the last
   * dimension for rank 2.
   */
  rowStride?: number;
}

/** Options of {@link Backend.fromGPUBuffer}. */
export interface GpuBufferOptions {
  /** Element type of the buffer's contents (default `'f32'`). */
  dtype?: DType;
  /** Byte offset of element 0 in the buffer (default 0); a multiple of the element size. */
  offset?: number;
}

/** Live tensors of a backend, from {@link Backend.memory}. */
export interface MemoryInfo {
  /** Tensors that own memory or wrap a caller's buffer and are not yet disposed (views are not counted). */
  tensors: number;
  /** Bytes of the tensors that own memory (element count × element size). */
  bytes: number;
  /** The most bytes this backend can hold, when it has a fixed limit (wasm: 4 GiB of linear memory). */
  capacityBytes?: number;
}

/** What the finalizer needs to free an unreachable tensor's memory (never the tensor itself). */
interface Finalizable {
  backend: Backend;
  storage: unknown;
  bytes: number;
}

// Frees tensors that became unreachable without dispose(): a safety net, not a substitute
// for dispose() or scope(); when it runs is up to the garbage collector.
const finalizer =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Finalizable>((held) => held.backend.finalizeStorage(held)) : null;

const bytesPerElement = (dtype: DType): number => (dtype === 'f16' ? 2 : 4);

/**
 * A compute backend as users see it: it makes tensors in its own memory, and the ops
 * (`rmsnorm`, `rope`, `gqa`, ...) run on the backend of their inputs.
 * Backend packages create one with {@link defineBackend}.
 */
export class Backend {
  /** @internal The kernel implementation. Ops call it after validation. */
  readonly kernels: KernelBackend;
  #disposed = false;
  #liveTensors = 0;
  #liveBytes = 0;
  /** Open scopes, innermost last: the tensors created inside each. */
  readonly #scopes: Array<Set<Tensor>> = [];

  /** @internal Use {@link defineBackend}. */
  constructor(kernels: KernelBackend) {
    this.kernels = kernels;
  }

  /** Short name, e.g. `cpu`, `wasm`, `webgpu`. */
  get name(): string {
    return this.kernels.name;
  }

  /** The backend package's version, when it declares one (`KernelBackend.version`). */
  get version(): string | undefined {
    return this.kernels.version;
  }

  /** What this backend can do (dtypes, threads, adapter, features, limits). */
  get capabilities(): BackendCapabilities {
    return this.kernels.capabilities;
  }

  /** True after {@link Backend.dispose}. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Copy `data` into a new tensor of `shape` in this backend's memory.
   * @param data - `shape`'s product of numbers, row-major: a `Float32Array` (copied as is), or
   *   any other numeric typed array or `number[]` (converted to float32). NaN and ±Infinity are
   *   kept; finite values beyond float32's range (|x| > 3.4028235e38) are rejected rather than
   *   silently turned into Infinity, and so are non-numbers (`['1', 'x']`) and BigInt arrays.
   *   A `Uint16Array` is read as numbers like any integer array, not as float16 bits (with
   *   `dtype: 'f16'` too): widen half-float bits with `fromFloat16Array` first.
   * @param shape - dimensions, each a positive integer (at least one).
   * @throws ValueError when `data` is not `shape`'s product of numbers, or holds values float32 cannot hold.
   * @throws UnsupportedError when `options.dtype` is not in `capabilities.dtypes`.
   * @throws CapacityError when the backend has no room (the message counts the live tensors).
   */
  tensor(data: Float32Array | Float64Array | ArrayLike<number>, shape: readonly number[], options?: TensorOptions): Tensor {
    const op = 'backend.tensor';
    this.#checkLive(op);
    const o = checkOptions(op, options, ['dtype']);
    checkShape(op, 'shape', shape);
    const dtype = this.#resolveDType(op, o.dtype);
    const size = shapeSize(shape);
    const f32 = toFloat32(op, data, size, shape);
    const storage = this.#allocating(op, () => this.kernels.upload(f32, dtype));
    return this.#own(storage, shape, dtype);
  }

  /**
   * A new zero-filled tensor, for outputs and caches.
   * @throws UnsupportedError when `options.dtype` is not in `capabilities.dtypes`.
   * @throws CapacityError when the backend has no room (the message counts the live tensors).
   */
  empty(shape: readonly number[], options?: TensorOptions): Tensor {
    const op = 'backend.empty';
    this.#checkLive(op);
    const o = checkOptions(op, options, ['dtype']);
    checkShape(op, 'shape', shape);
    return this.allocate(op, shape, this.#resolveDType(op, o.dtype));
  }

  /**
   * A view of `t`'s memory with another shape, offset and row stride, without copying: ops
   * read and write it in place (on backends that do not declare `capabilities.views`, core
   * copies views in and out for them). Typical use: q, k and v as views of one packed
   * `[batch, seq, (Hq + 2·Hkv)·d]` projection output:
   *
   * ```ts
   * const row = (Hq + 2 * Hkv) * d;
   * const q = be.view(qkv, { shape: [B, S, Hq, d], rowStride: row });
   * const k = be.view(qkv, { shape: [B, S, Hkv, d], offset: Hq * d, rowStride: row });
   * const v = be.view(qkv, { shape: [B, S, Hkv, d], offset: (Hq + Hkv) * d, rowStride: row });
   * ```
   *
   * Rows: a token (`shape[2] * shape[3] * ...`) for rank >= 3, the last dimension for rank 2,
   * the whole view for rank 1. A view owns nothing: disposing it frees nothing, it stays valid
   * while `t` lives, and disposing `t` (or the backend) invalidates it. Views of strided views
   * are not supported (view the base instead).
   * @throws ValueError when the view does not fit inside `t`, or rows overlap.
   */
  view(t: Tensor, options: ViewOptions): Tensor {
    const op = 'backend.view';
    this.#checkLive(op);
    checkTensor(op, 't', t);
    if (t.backend !== this) {
      throw new ValueError({ op, argument: 't', expected: `a tensor of this ${this.name} backend`, actual: `a tensor of the ${t.backend.name} backend` });
    }
    if (options === undefined) throw new ValueError({ op, argument: 'options', expected: '{ shape, offset?, rowStride? }', actual: 'undefined' });
    const o = checkOptions(op, options, ['shape', 'offset', 'rowStride']);
    checkShape(op, 'options.shape', o.shape);
    const size = shapeSize(o.shape);
    const row = rowLength(o.shape);
    const rows = size / row;
    const offset = o.offset === undefined ? 0 : checkNumber(op, 'options.offset', o.offset, { integer: true, min: 0 });
    const rowStride = o.rowStride === undefined ? row : checkNumber(op, 'options.rowStride', o.rowStride, { integer: true, min: 1 });
    if (rows > 1 && rowStride < row) {
      throw new ValueError({ op, argument: 'options.rowStride', expected: `>= the row length ${row} of shape ${formatShape(o.shape)} (rows may not overlap)`, actual: String(rowStride) });
    }
    if (!t.contiguous) {
      throw new UnsupportedError({ op, argument: 't', expected: 'a contiguous tensor', actual: `a strided view (rowStride ${t.rowStride} > rowLength ${t.rowLength})`, hint: 'take the view of its base tensor instead' });
    }
    const end = offset + (rows - 1) * rowStride + row;
    if (end > t.size) {
      throw new ValueError({
        op,
        argument: 'options',
        expected: `a view inside the ${t.size} elements of ${formatShape(t.shape)}`,
        actual: `offset ${offset} + (${rows} rows - 1) × rowStride ${rowStride} + rowLength ${row} = ${end} elements`,
      });
    }
    const base = t.base ?? t;
    const view = new Tensor({
      backend: this,
      storage: t.storage,
      shape: o.shape,
      dtype: t.dtype,
      memory: 'view',
      offset: t.offset + offset,
      rowStride: rows > 1 ? rowStride : row,
      base,
    });
    this.#scopes.at(-1)?.add(view);
    return view;
  }

  /**
   * Wrap a caller's `GPUBuffer` (same device as this backend) as a tensor, without copying:
   * ops read and write the caller's buffer. It needs `STORAGE` usage (and `COPY_SRC` to be
   * read back, `COPY_DST` to be written from JS). The buffer is never destroyed by llama-ops;
   * disposing the tensor only forgets it. WebGPU backend only.
   * @param offset - byte offset of element 0 (`options.offset`), a multiple of the element size.
   * @throws UnsupportedError on backends without GPU buffers.
   * @throws ValueError when the buffer is too small for `shape` at `offset`, or lacks a usage, or belongs to another device.
   */
  fromGPUBuffer(buffer: GpuBufferHandle, shape: readonly number[], options?: GpuBufferOptions): Tensor {
    const op = 'backend.fromGPUBuffer';
    this.#checkLive(op);
    const o = checkOptions(op, options, ['dtype', 'offset']);
    checkShape(op, 'shape', shape);
    const dtype = this.#resolveDType(op, o.dtype);
    if (!this.kernels.wrapGpuBuffer) {
      throw new UnsupportedError({ op, argument: 'buffer', expected: 'a GPU backend (webgpu)', actual: `the ${this.name} backend` });
    }
    const elem = bytesPerElement(dtype);
    const byteOffset = o.offset === undefined ? 0 : checkNumber(op, 'options.offset', o.offset, { integer: true, min: 0 });
    if (byteOffset % elem !== 0) {
      throw new ValueError({ op, argument: 'options.offset', expected: `a multiple of ${elem} bytes (one ${dtype} element)`, actual: String(byteOffset) });
    }
    const { storage, capacity } = this.kernels.wrapGpuBuffer(buffer, dtype, op);
    const size = shapeSize(shape);
    const offset = byteOffset / elem;
    if (offset + size > capacity) {
      throw new ValueError({
        op,
        argument: 'buffer',
        expected: `at least ${(offset + size) * elem} bytes (offset ${byteOffset} + ${formatShape(shape)} ${dtype})`,
        actual: `${capacity * elem} bytes`,
      });
    }
    const t = new Tensor({ backend: this, storage, shape, dtype, memory: 'external', offset, rowStride: rowLength(shape), base: null });
    this.#liveTensors++;
    this.#scopes.at(-1)?.add(t);
    return t;
  }

  /**
   * Run `fn` and dispose every tensor created on this backend while it ran, except those it
   * returns (a tensor, or arrays and plain objects holding tensors, at any depth; a returned
   * view keeps its base). Scopes nest: what an inner scope returns belongs to the outer one.
   * `fn` may be async: the scope ends when its promise settles, and counts every tensor
   * created on this backend until then, so do not run two async scopes at once on one
   * backend. Tensors are disposed also when `fn` throws.
   * @example
   * for (let step = 0; step < steps; step++) {
   *   const logits = be.scope(() => decodeStep(cache, token)); // every temporary is freed here
   * }
   */
  scope<T>(fn: () => Promise<T>): Promise<T>;
  scope<T>(fn: () => T): T;
  scope<T>(fn: () => T | Promise<T>): T | Promise<T> {
    this.#checkLive('backend.scope');
    if (typeof fn !== 'function') throw new ValueError({ op: 'backend.scope', argument: 'fn', expected: 'a function', actual: typeof fn });
    const frame = new Set<Tensor>();
    this.#scopes.push(frame);
    let result: T | Promise<T>;
    try {
      result = fn();
    } catch (e) {
      this.#endScope(frame, undefined);
      throw e;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as Promise<T>).then(
        (value) => {
          this.#endScope(frame, value);
          return value;
        },
        (e: unknown) => {
          this.#endScope(frame, undefined);
          throw e;
        },
      );
    }
    this.#endScope(frame, result);
    return result;
  }

  /** Live tensors and their bytes (a leak check: flat across steps of a loop means no leak). */
  memory(): MemoryInfo {
    const info: MemoryInfo = { tensors: this.#liveTensors, bytes: this.#liveBytes };
    if (this.kernels.capacityBytes !== undefined) info.capacityBytes = this.kernels.capacityBytes;
    return info;
  }

  /**
   * Resolve once every op queued so far has finished on the device (a barrier for timing;
   * {@link Tensor.read} already waits for the ops it depends on).
   */
  async sync(): Promise<void> {
    this.#checkLive('backend.sync');
    await this.kernels.sync?.();
  }

  /** Release the backend's resources. Its tensors become unusable. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#liveTensors = 0;
    this.#liveBytes = 0;
    this.kernels.dispose?.();
  }

  /** @internal `options.dtype` of `op` checked against this backend (default `'f32'`). */
  checkDType(op: string, dtype: unknown): DType {
    return this.#resolveDType(op, dtype as DType | undefined);
  }

  /** @internal A new owned, zero-filled tensor for `op` (an op's output, a cache). */
  allocate(op: string, shape: readonly number[], dtype: DType): Tensor {
    const storage = this.#allocating(op, () => this.kernels.allocate(shapeSize(shape), dtype));
    return this.#own(storage, shape, dtype);
  }

  /** @internal A new dense tensor holding `t`'s values (for backends or kernels that need dense operands). */
  denseCopy(op: string, t: Tensor): Tensor {
    const copy = this.allocate(op, t.shape, t.dtype);
    this.copyRows(t, copy);
    return copy;
  }

  /** @internal Copy every row of `src` into `dst` (same shape and dtype), on the backend. */
  copyRows(src: Tensor, dst: Tensor): void {
    this.copyRegion(src.storage, src.offset, src.rowStride, dst.storage, dst.offset, dst.rowStride, src.rows, src.rowLength, src.dtype);
  }

  /** @internal `rows` rows of `count` elements from one storage region to another, one kernel call where the backend takes strides. */
  copyRegion(
    src: unknown,
    srcOffset: number,
    srcRowStride: number,
    dst: unknown,
    dstOffset: number,
    dstRowStride: number,
    rows: number,
    count: number,
    dtype: DType,
  ): void {
    if (srcRowStride === count && dstRowStride === count) {
      // Contiguous on both sides: one run, whatever the backend supports.
      this.kernels.copy({ src, srcOffset, dst, dstOffset, count: rows * count, dtype, rows: 1, srcRowStride: rows * count, dstRowStride: rows * count });
    } else if (this.capabilities.views) {
      this.kernels.copy({ src, srcOffset, dst, dstOffset, count, dtype, rows, srcRowStride, dstRowStride });
    } else {
      for (let r = 0; r < rows; r++) {
        this.kernels.copy({ src, srcOffset: srcOffset + r * srcRowStride, dst, dstOffset: dstOffset + r * dstRowStride, count, dtype, rows: 1, srcRowStride: count, dstRowStride: count });
      }
    }
  }

  /** @internal Upload `data` (already `t.size` float32 values) into `t`. */
  writeTensor(op: string, t: Tensor, data: Float32Array): void {
    if (this.kernels.write) {
      this.kernels.write(t.storage, t.region(), t.dtype, data);
      return;
    }
    const staged = this.#allocating(op, () => this.kernels.upload(data, t.dtype));
    try {
      this.copyRegion(staged, 0, t.rowLength, t.storage, t.offset, t.rowStride, t.rows, t.rowLength, t.dtype);
    } finally {
      this.kernels.free(staged);
    }
  }

  /** @internal Called by {@link Tensor.dispose}. */
  releaseTensor(t: Tensor): void {
    if (t.memory === 'view' || this.#disposed) return;
    this.#liveTensors--;
    if (t.memory === 'external') return;
    finalizer?.unregister(t);
    this.#liveBytes -= t.size * bytesPerElement(t.dtype);
    this.kernels.free(t.storage);
  }

  /** @internal Called by the finalizer for a tensor collected without dispose(). */
  finalizeStorage(held: Finalizable): void {
    if (this.#disposed) return;
    this.#liveTensors--;
    this.#liveBytes -= held.bytes;
    this.kernels.free(held.storage);
  }

  /**
   * @internal Run an allocation for `op`; a failure for lack of memory becomes a
   * {@link CapacityError} that names `op` and counts the live tensors.
   */
  capacityError(op: string, cause: unknown): unknown {
    // By code, not class: a backend package may carry its own copy of core, whose CapacityError is another class.
    const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
    const isCapacity = code === 'E_CAPACITY' || (code === undefined && cause instanceof RangeError && !(cause instanceof LlamaOpsError));
    if (!isCapacity) return cause;
    const { tensors, bytes } = this.memory();
    const detail = cause instanceof Error ? cause.message : String(cause);
    const err = new CapacityError({
      op,
      argument: 'memory',
      expected: `room for the new tensor on the ${this.name} backend`,
      actual: `no room (${detail})`,
      hint: `${tensors} tensors (${formatBytes(bytes)}) are live: dispose those you no longer need, or run each step inside backend.scope(() => ...), which disposes its temporaries`,
    });
    (err as { cause?: unknown }).cause = cause;
    return err;
  }

  #allocating<S>(op: string, allocate: () => S): S {
    try {
      return allocate();
    } catch (e) {
      throw this.capacityError(op, e);
    }
  }

  #own(storage: unknown, shape: readonly number[], dtype: DType): Tensor {
    const t = new Tensor({ backend: this, storage, shape, dtype, memory: 'owned', offset: 0, rowStride: rowLength(shape), base: null });
    const bytes = t.size * bytesPerElement(dtype);
    this.#liveTensors++;
    this.#liveBytes += bytes;
    finalizer?.register(t, { backend: this, storage, bytes }, t);
    this.#scopes.at(-1)?.add(t);
    return t;
  }

  #endScope(frame: Set<Tensor>, result: unknown): void {
    const i = this.#scopes.lastIndexOf(frame);
    if (i >= 0) this.#scopes.splice(i, 1);
    const kept = new Set<Tensor>();
    collectTensors(result, kept, new Set(), 0);
    for (const t of [...kept]) for (let b = t.base; b !== null; b = b.base) kept.add(b);
    const parent = this.#scopes.at(-1);
    for (const t of frame) {
      if (kept.has(t)) parent?.add(t);
      else if (!t.disposed) t.dispose();
    }
  }

  #checkLive(op: string): void {
    if (this.#disposed) throw new DisposedError({ op, argument: 'backend', hint: `the ${this.name} backend was disposed` });
  }

  #resolveDType(op: string, dtype: DType | undefined): DType {
    const d = dtype ?? 'f32';
    if (d !== 'f32' && d !== 'f16') {
      throw new ValueError({ op, argument: 'options.dtype', expected: "'f32' or 'f16'", actual: String(d) });
    }
    if (!this.capabilities.dtypes.includes(d)) {
      throw new UnsupportedError({
        op,
        argument: 'options.dtype',
        expected: `one of ${this.capabilities.dtypes.join(', ')} on the ${this.name} backend`,
        actual: d,
      });
    }
    return d;
  }
}

/** Wrap a backend's kernel implementation as a user-facing {@link Backend}. */
export function defineBackend<S>(kernels: KernelBackend<S>): Backend {
  return new Backend(kernels as KernelBackend);
}

/** Tensors reachable from a scope's result through arrays and plain objects. */
function collectTensors(value: unknown, into: Set<Tensor>, seen: Set<object>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 16) return;
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into, seen, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const item of value.values()) collectTensors(item, into, seen, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const item of Object.values(value)) collectTensors(item, into, seen, depth + 1);
}

const F32_MAX = 3.4028234663852886e38;

/** `data` as float32 values, checked: `size` numbers, none a non-number, none past float32's range. */
function toFloat32(op: string, data: unknown, size: number, shape: readonly number[]): Float32Array {
  const isArrayLike =
    data !== null && typeof data === 'object' && typeof (data as { length?: unknown }).length === 'number' && (Array.isArray(data) || ArrayBuffer.isView(data));
  if (!isArrayLike || data instanceof DataView) {
    throw new ValueError({ op, argument: 'data', expected: 'a Float32Array, another numeric typed array or number[]', actual: data === null ? 'null' : typeof data });
  }
  const arr = data as ArrayLike<unknown>;
  if (arr.length !== size) {
    throw new ValueError({ op, argument: 'data.length', expected: `${size} (the product of shape ${formatShape(shape)})`, actual: String(arr.length) });
  }
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new ValueError({ op, argument: 'data', expected: 'numbers', actual: 'a BigInt typed array' });
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = arr[i];
    if (typeof v !== 'number') {
      throw new ValueError({ op, argument: `data[${i}]`, expected: 'a number', actual: `${typeof v} ${JSON.stringify(v)}` });
    }
    if (Number.isFinite(v) && Math.abs(v) > F32_MAX) {
      // Values that round to F32_MAX (< 2^128 · (1 - 2^-25)) are fine; beyond, float32 has only Infinity.
      if (!Number.isFinite(Math.fround(v))) {
        throw new ValueError({ op, argument: `data[${i}]`, expected: 'a value float32 can hold (|x| <= 3.4028235e38; ±Infinity and NaN are kept as such)', actual: String(v) });
      }
    }
    out[i] = v;
  }
  return out;
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}
