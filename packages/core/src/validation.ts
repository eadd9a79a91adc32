/**
 * Validation shared by every op and API: shapes, tensors, numbers, option objects. Each check
 * throws a typed error naming the argument, before any work is done.
 */
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

/** At least one dimension, every dimension a positive safe integer. */
export function checkShape(op: string, argument: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) {
    throw new ShapeError({ op, argument, expected: 'an array of positive integers', actual: typeof shape });
  }
  if (shape.length === 0) {
    throw new ShapeError({ op, argument, expected: 'at least one dimension (rank >= 1)', actual: '[] (rank 0)' });
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
    const hint = t.backend.disposed
      ? `the ${t.backend.name} backend was disposed`
      : t.base !== null && t.base.disposed
        ? 'the tensor it views was disposed'
        : 'the tensor was disposed';
    throw new DisposedError({ op, argument, hint });
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

/**
 * A plain object of options (or undefined) whose keys are all in `known`: a misspelled key
 * (`epsilon`, `casual`, `kvLenght`) is an error naming it and the nearest known key, never a
 * silently ignored option. Keys whose value is `undefined` count as absent.
 * @param argument - how the object is named in errors (default `options`).
 */
export function checkOptions<T extends object>(op: string, options: T | undefined, known: readonly string[], argument = 'options'): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError({ op, argument, expected: 'an options object', actual: String(options) });
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const near = nearest(key, known);
    throw new ValueError({
      op,
      argument: `${argument}.${key}`,
      expected: near
        ? `a known option (did you mean '${near}'?)`
        : known.length === 0
          ? `no options (${op} takes none)`
          : `one of ${known.map((k) => `'${k}'`).join(', ')}`,
      actual: `unknown option '${key}'`,
    });
  }
  return options;
}

/** The known name closest to `name` (case-insensitive edit distance), when it is close enough to be a typo. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  // `epsilon` for `eps`, `thread` for `threads`: one name extends the other.
  const extended = known.find((k) => Math.min(k.length, lower.length) >= 3 && (lower.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(lower)));
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

/**
 * Check a backend factory's options object: unknown keys (with the nearest known one) and
 * values of the wrong type are typed errors. For backend packages' `createBackend(options)`.
 * @param types - each known key and the `typeof` its value must have (`'any'` for no check).
 * @example
 * checkBackendOptions('wasm.createBackend', options, { threads: 'number', simd: 'boolean' });
 */
export function checkBackendOptions(
  op: string,
  options: object | undefined,
  types: Readonly<Record<string, 'number' | 'boolean' | 'string' | 'object' | 'function' | 'any'>>,
): void {
  const o = checkOptions(op, options, Object.keys(types)) as Record<string, unknown>;
  for (const [key, type] of Object.entries(types)) {
    const value = o[key];
    if (value === undefined || type === 'any') continue;
    if (typeof value !== type || (type === 'object' && value === null)) {
      throw new ValueError({ op, argument: `options.${key}`, expected: `a ${type}`, actual: `${typeof value} ${JSON.stringify(value) ?? String(value)}` });
    }
  }
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
