/**
 * Float64 reference of RMSNorm (SPEC.md "rmsnorm"), written as plainly as the formula:
 *
 *     h = residual ? x + residual : x
 *     y = h / sqrt(mean(h^2 over the last axis) + eps) * (weight + weightOffset)
 *
 * Every step is IEEE float64, so `|h|` up to ~1e150 squares without overflow and the
 * Inf/NaN behaviour is the formula's own: a row holding an Inf has `mean(h^2) = Inf`, so
 * its Inf element becomes `Inf / Inf = NaN` and its finite elements `finite / Inf = 0`;
 * a NaN anywhere in a row makes the whole row NaN. With `eps = 0` an all-zero row is
 * `0 / 0 = NaN` (SPEC.md "Range and special values"). Subnormal inputs (x, residual, weight)
 * are read as zero, as a backend that flushes them computes.
 */
import { flushSubnormals } from './range.js';

/** Options of {@link referenceRmsnorm}, as core's `RmsnormOptions`. */
export interface ReferenceRmsnormOptions {
  /** Default 1e-6. */
  eps?: number;
  /** Default 0 (Llama); 1 for Gemma. */
  weightOffset?: number;
  /** Added to `x` first (same shape as `x`). */
  residual?: ArrayLike<number>;
}

/** Result of {@link referenceAddRmsnorm}. */
export interface ReferenceAddRmsnormResult {
  y: Float64Array;
  sum: Float64Array;
}

function check(x: ArrayLike<number>, shape: readonly number[], weight: ArrayLike<number>): number {
  const hidden = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  if (x.length !== size) throw new RangeError(`referenceRmsnorm: x has ${x.length} values, shape needs ${size}`);
  if (weight.length !== hidden) throw new RangeError(`referenceRmsnorm: weight has ${weight.length} values, hidden is ${hidden}`);
  return hidden;
}

/**
 * RMSNorm over the last axis of `x` (shape `shape`), in float64.
 * @returns `y`, shaped like `x`.
 */
export function referenceRmsnorm(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  options: ReferenceRmsnormOptions = {},
): Float64Array {
  return referenceAddRmsnorm(x, options.residual ?? null, shape, weight, options).y;
}

/**
 * The fused form: `sum = x + residual` (or `x` when `residual` is null) and `y = rmsnorm(sum)`.
 */
export function referenceAddRmsnorm(
  x: ArrayLike<number>,
  residual: ArrayLike<number> | null,
  shape: readonly number[],
  weight: ArrayLike<number>,
  options: Omit<ReferenceRmsnormOptions, 'residual'> = {},
): ReferenceAddRmsnormResult {
  const hidden = check(x, shape, weight);
  if (residual && residual.length !== x.length) throw new RangeError('referenceRmsnorm: residual must be shaped like x');
  x = flushSubnormals(x);
  residual = residual && flushSubnormals(residual);
  weight = flushSubnormals(weight);
  const eps = options.eps ?? 1e-6;
  const weightOffset = options.weightOffset ?? 0;
  const rows = x.length / hidden;
  const sum = new Float64Array(x.length);
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * hidden;
    let sumSq = 0;
    for (let i = 0; i < hidden; i++) {
      const h = residual ? x[o + i] + residual[o + i] : x[o + i];
      sum[o + i] = h;
      sumSq += h * h;
    }
    const rms = Math.sqrt(sumSq / hidden + eps);
    for (let i = 0; i < hidden; i++) y[o + i] = (sum[o + i] / rms) * (weight[i] + weightOffset);
  }
  return { y, sum };
}
