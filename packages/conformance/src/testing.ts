/**
 * `@llama-ops/conformance/testing`: the small helpers every test of a backend needs, kept once:
 * SPEC.md's tolerance table, the kit's seeded random generator, and error measures. Backends,
 * apps and the kit use these (no copy of the tolerances or the generator elsewhere). The
 * float64 reference is `@llama-ops/conformance/reference`.
 *
 * @packageDocumentation
 */
import { TOLERANCES } from './check.js';
import type { CaseDType } from './cases/types.js';

export { TOLERANCES } from './check.js';
import { Rng } from './cases/data.js';

export { Rng, hashSeed } from './cases/data.js';

/** An op family of SPEC.md's tolerance table. */
export type ToleranceOp = keyof (typeof TOLERANCES)['f32'];

/**
 * SPEC.md's tolerance coefficient of an op family for a storage dtype: the allowed
 * `|actual - reference|` is this times the op's scale (`max(1, |reference|)` for RMSNorm, the
 * input's magnitude for RoPE, `max(1, max|v|)` for GQA: see SPEC.md "Tolerances").
 */
export function tolerance(op: ToleranceOp, dtype: CaseDType = 'f32'): number {
  return TOLERANCES[dtype][op];
}

/** `n` seeded values uniform in [-scale, scale): the kit's generator (mulberry32), so the same seed gives the same data everywhere. */
export function randomArray(n: number, seed: number | string = 1, scale = 1): Float32Array {
  return new Rng(seed).array(n, scale);
}

/** Where and how large the worst error is. */
export interface WorstError {
  /** The largest error (Infinity when a NaN/Inf differs or the lengths differ). */
  error: number;
  /** Its flat index (-1 when there is none). */
  index: number;
}

/**
 * The largest `|actual - expected| / scale(i)` and where (NaN or a mismatched infinity counts as
 * Infinity). `scale` defaults to 1 (absolute error); pass `(i) => Math.max(1, Math.abs(expected[i]))`
 * for SPEC's relative measure of RMSNorm, or a constant function for GQA's `max(1, max|v|)`.
 */
export function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: (i: number) => number = () => 1): WorstError {
  if (actual.length !== expected.length) return { error: Infinity, index: -1 };
  let error = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    // Same infinities (and NaN where NaN is expected) are exact.
    const d = a === e || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Math.abs(a - e) / scale(i);
    if (!(d <= error)) {
      error = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { error, index };
}

/** The largest `|actual - expected|` (Infinity when the lengths differ or a NaN/Inf differs). */
export function maxAbsError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  return worstError(actual, expected).error;
}

/**
 * The largest `|actual - expected| / max(1, |scale|)`, where `scale` is the reference itself
 * (the default: RMSNorm), the input (RoPE) or a constant (GQA: max|v|).
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: ArrayLike<number> | number = expected): number {
  const of = typeof scale === 'number' ? () => Math.max(1, Math.abs(scale)) : (i: number) => Math.max(1, Math.abs(scale[i]));
  return worstError(actual, expected, of).error;
}
