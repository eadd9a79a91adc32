import type { Backend } from './backend.js';
import { DisposedError } from './errors.js';
import type { DType } from './kernels.js';

const TENSOR_BRAND = Symbol.for('@llama-ops/core.Tensor');

/**
 * A dense row-major tensor that lives in its backend's memory (JS heap, wasm memory or a
 * GPU buffer). Ops take and return tensors without copying through JS; {@link Tensor.read}
 * is the only download.
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
  #disposed = false;
  /** @internal */
  readonly [TENSOR_BRAND] = true;

  /** @internal Tensors are made by `backend.tensor()`, `backend.empty()` and ops. */
  constructor(backend: Backend, storage: unknown, shape: readonly number[], dtype: DType) {
    this.backend = backend;
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** True after {@link Tensor.dispose}, or once its backend is disposed. */
  get disposed(): boolean {
    return this.#disposed || this.backend.disposed;
  }

  /**
   * Download the values as float32 (f16 tensors are widened), after every op queued so far.
   * @throws DisposedError (as a rejection) if the tensor was disposed.
   */
  async read(): Promise<Float32Array> {
    if (this.disposed) {
      throw new DisposedError({ op: 'tensor.read', argument: 'tensor', hint: 'the tensor was disposed' });
    }
    return this.backend.kernels.read(this.storage, this.size, this.dtype);
  }

  /** Free the tensor's memory. Idempotent; using the tensor afterwards throws `DisposedError`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.backend.disposed) this.backend.kernels.free(this.storage);
  }
}

/** True if `value` is a llama-ops {@link Tensor} (works across duplicated module copies). */
export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TENSOR_BRAND] === true;
}
