/**
 * The playground's check of an output against the float64 reference, by the conformance
 * kit's measures (`@llama-ops/conformance/testing`): the largest absolute error, and the
 * worst element's error as a fraction of its SPEC.md bound. A NaN where the reference is
 * NaN, or the same infinity, is exact (the kit's rule); any other NaN/Inf is out of bound.
 */
import { maxAbsError, worstError } from '@llama-ops/conformance/testing';

/** The verdict of one run. */
export interface OutputCheck {
  /** Largest `|y - ref|`. */
  maxError: number;
  /** Largest `|y - ref| / bound(i)`: at most 1 passes. */
  worstRatio: number;
  pass: boolean;
}

/** Check `y` against `ref`, element i allowed `bound(i)` (SPEC.md tolerances). */
export function checkOutput(y: ArrayLike<number>, ref: ArrayLike<number>, bound: (i: number) => number): OutputCheck {
  const maxError = maxAbsError(y, ref);
  const worstRatio = worstError(y, ref, bound).error;
  return { maxError, worstRatio, pass: worstRatio <= 1 };
}

/**
 * Each element's `|y - ref| / bound(i)`, for the error heatmap: the quantity whose maximum
 * `checkOutput` reports as `worstRatio` (the kit's `worstError` over one element).
 */
export function errorRatios(y: ArrayLike<number>, ref: ArrayLike<number>, bound: (i: number) => number): Float64Array {
  const ratio = new Float64Array(y.length);
  const one = new Float64Array(1);
  const oneRef = new Float64Array(1);
  for (let i = 0; i < y.length; i++) {
    one[0] = y[i];
    oneRef[0] = ref[i];
    ratio[i] = worstError(one, oneRef, () => bound(i)).error;
  }
  return ratio;
}

/** What the result card shows of an output. */
export interface OutputSummary {
  min: number;
  max: number;
  mean: number;
  /** The first six values. */
  first: number[];
}

export function summarize(y: Float32Array): OutputSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    min = Math.min(min, y[i]);
    max = Math.max(max, y[i]);
    sum += y[i];
  }
  return { min, max, mean: sum / y.length, first: Array.from(y.subarray(0, 6)) };
}
