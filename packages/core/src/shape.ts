/** Shape and argument checks shared by every op. Each throws a typed error naming the argument. */
import type { Backend } from './backend.js';
import { BackendMismatchError, DTypeError, DisposedError, ShapeError, ValueError } from './errors.js';
import type { DType } from './kernels.js';
import { isTensor, type Tensor } from './tensor.js';

/** `[2, 3, 4]` */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Product of the dimensions. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Every dimension a positive safe integer. */
export function checkShape(op: string, argument: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) {
    throw new ShapeError({ op, argument, expected: 'an array of positive integers', actual: typeof shape });
  }
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 1) {
      throw new ShapeError({ op, argument, expected: 'positive integer dimensions', actual: formatShape(shape) });
    }
  }
}

/** A live tensor (not disposed), optionally of a given rank. */
export function checkTensor(op: string, argument: string, t: unknown, rank?: number): asserts t is Tensor {
  if (!isTensor(t)) {
    throw new ValueError({ op, argument, expected: 'a Tensor', actual: t === null ? 'null' : typeof t });
  }
  if (t.disposed) {
    throw new DisposedError({ op, argument, hint: 'the tensor was disposed' });
  }
  if (rank !== undefined && t.shape.length !== rank) {
    throw new ShapeError({ op, argument, expected: `rank ${rank}`, actual: `rank ${t.shape.length} ${formatShape(t.shape)}` });
  }
}

/** `t.shape` equals `expected`. */
export function checkShapeEquals(op: string, argument: string, t: Tensor, expected: readonly number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError({ op, argument, expected: formatShape(expected), actual: formatShape(t.shape) });
  }
}

/** All tensors share one backend and one dtype; returns them. */
export function checkSameBackendAndDType(
  op: string,
  tensors: ReadonlyArray<readonly [string, Tensor]>,
): { backend: Backend; dtype: DType } {
  const [firstName, first] = tensors[0];
  for (const [name, t] of tensors.slice(1)) {
    if (t.backend !== first.backend) {
      throw new BackendMismatchError({
        op,
        argument: name,
        expected: `a tensor on the same backend as ${firstName} (${first.backend.name})`,
        actual: `a tensor on another backend (${t.backend.name})`,
      });
    }
    if (t.dtype !== first.dtype) {
      throw new DTypeError({ op, argument: name, expected: `${first.dtype} (the dtype of ${firstName})`, actual: t.dtype });
    }
  }
  return { backend: first.backend, dtype: first.dtype };
}

/** A finite number, optionally bounded. */
export function checkNumber(
  op: string,
  argument: string,
  value: unknown,
  bounds: { min?: number; minExclusive?: boolean; max?: number; integer?: boolean } = {},
): number {
  const kind = bounds.integer ? 'an integer' : 'a finite number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (bounds.integer && !Number.isInteger(value))) {
    throw new ValueError({ op, argument, expected: kind + describeBounds(bounds), actual: String(value) });
  }
  const tooLow = bounds.min !== undefined && (bounds.minExclusive ? value <= bounds.min : value < bounds.min);
  const tooHigh = bounds.max !== undefined && value > bounds.max;
  if (tooLow || tooHigh) {
    throw new ValueError({ op, argument, expected: kind + describeBounds(bounds), actual: String(value) });
  }
  return value;
}

function describeBounds(b: { min?: number; minExclusive?: boolean; max?: number }): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`${b.minExclusive ? '>' : '>='} ${b.min}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

/** A boolean option. */
export function checkBoolean(op: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError({ op, argument, expected: 'a boolean', actual: String(value) });
  return value;
}

/** A plain object of options (or undefined). */
export function checkOptions<T extends object>(op: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError({ op, argument: 'options', expected: 'an options object', actual: String(options) });
  }
  return options;
}

/**
 * A scalar or one integer per batch, as an Int32Array of length `batch`, each in [min, max].
 */
export function checkPerBatchIntegers(
  op: string,
  argument: string,
  value: unknown,
  batch: number,
  min: number,
  max: number,
): Int32Array {
  const out = new Int32Array(batch);
  if (typeof value === 'number') {
    checkNumber(op, argument, value, { integer: true, min, max });
    out.fill(value);
    return out;
  }
  if (!(value instanceof Int32Array) && !Array.isArray(value)) {
    throw new ValueError({ op, argument, expected: `an integer or ${batch} integers (one per batch)`, actual: String(value) });
  }
  const arr = value as ArrayLike<number>;
  if (arr.length !== batch) {
    throw new ValueError({ op, argument, expected: `${batch} values (one per batch)`, actual: `${arr.length} values` });
  }
  for (let b = 0; b < batch; b++) {
    out[b] = checkNumber(op, `${argument}[${b}]`, arr[b], { integer: true, min, max });
  }
  return out;
}
