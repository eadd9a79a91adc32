import { DisposedError, UnsupportedError, ValueError } from './errors.js';
import type { BackendCapabilities, DType, KernelBackend } from './kernels.js';
import { checkShape, shapeSize, formatShape } from './shape.js';
import { Tensor } from './tensor.js';

/** Options of {@link Backend.tensor} and {@link Backend.empty}. */
export interface TensorOptions {
  /** Storage dtype (default `'f32'`); the backend must list it in `capabilities.dtypes`. */
  dtype?: DType;
}

/**
 * A compute backend as users see it: it makes tensors in its own memory, and the ops
 * (`rmsnorm`, `rope`, `gqa`, ...) run on the backend of their inputs.
 * Backend packages create one with {@link defineBackend}.
 */
export class Backend {
  /** @internal The kernel implementation. Ops call it after validation. */
  readonly kernels: KernelBackend;
  #disposed = false;

  /** @internal Use {@link defineBackend}. */
  constructor(kernels: KernelBackend) {
    this.kernels = kernels;
  }

  /** Short name, e.g. `cpu`, `wasm`, `webgpu`. */
  get name(): string {
    return this.kernels.name;
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
   * @param data - `shape`'s product of values, row-major.
   * @param shape - dimensions, each a positive integer.
   * @throws ShapeError when `data.length` is not the product of `shape`.
   * @throws UnsupportedError when `options.dtype` is not in `capabilities.dtypes`.
   */
  tensor(data: Float32Array | Float64Array | readonly number[], shape: readonly number[], options: TensorOptions = {}): Tensor {
    const op = 'backend.tensor';
    this.#checkLive(op);
    checkShape(op, 'shape', shape);
    const dtype = this.#resolveDType(op, options.dtype);
    const size = shapeSize(shape);
    if (data === null || typeof data !== 'object' || typeof (data as { length?: unknown }).length !== 'number') {
      throw new ValueError({ op, argument: 'data', expected: 'a Float32Array, Float64Array or number[]', actual: typeof data });
    }
    if (data.length !== size) {
      throw new ValueError({
        op,
        argument: 'data.length',
        expected: `${size} (the product of shape ${formatShape(shape)})`,
        actual: String(data.length),
      });
    }
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(this, this.kernels.upload(f32, dtype), shape, dtype);
  }

  /**
   * A new zero-filled tensor, for outputs and caches.
   * @throws UnsupportedError when `options.dtype` is not in `capabilities.dtypes`.
   */
  empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
    const op = 'backend.empty';
    this.#checkLive(op);
    checkShape(op, 'shape', shape);
    const dtype = this.#resolveDType(op, options.dtype);
    return new Tensor(this, this.kernels.allocate(shapeSize(shape), dtype), shape, dtype);
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
    this.kernels.dispose?.();
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
