/**
 * Comparison of a backend's output with the float64 reference under SPEC.md's tolerances.
 * Rules, per element: a NaN reference requires NaN; a ±Inf reference requires the same Inf;
 * otherwise `|actual - reference| <= bound[i]` (and a NaN/Inf actual fails).
 */
import type { CaseDType } from './cases/types.js';

/** Tolerance coefficients by op family and storage dtype (SPEC.md "Tolerances"). */
export const TOLERANCES = {
  f32: { rmsnorm: 1e-5, rope: 2e-6, gqa: 1e-4 },
  f16: { rmsnorm: 2e-3, rope: 2e-3, gqa: 5e-3 },
} as const satisfies Record<CaseDType, Record<'rmsnorm' | 'rope' | 'gqa', number>>;

/** Outcome of comparing one output tensor. */
export interface Comparison {
  /** Every element within its bound (and NaN/Inf rules met). */
  pass: boolean;
  /** Largest `|actual - reference|` over elements with a finite reference (Infinity on a NaN/Inf mismatch). */
  maxError: number;
  /** The bound at {@link Comparison.worstIndex}. */
  bound: number;
  /** Flat index of the worst element (largest error / bound, mismatches first); -1 when empty. */
  worstIndex: number;
  /** Number of elements that fail. */
  failures: number;
  /** Human-readable summary naming the worst element by coordinates. */
  message: string;
}

/** `[b, s, h, d]`-style coordinates of a flat index. */
export function coordinates(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let r = index;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = r % shape[i];
    r = Math.floor(r / shape[i]);
  }
  return out;
}

const fmt = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(9))) : String(x));

/**
 * Compare `actual` with `reference` element by element.
 * @param bound - the allowed absolute error: of element `i` (a function), per element (an
 *   array: the fastest way for large outputs), or one for every element (a number).
 * @param label - what the output is, e.g. `gqa output`; `shape` names coordinates in messages.
 */
export function compare(
  actual: ArrayLike<number>,
  reference: ArrayLike<number>,
  bound: ((i: number) => number) | ArrayLike<number> | number,
  label: string,
  shape: readonly number[],
): Comparison {
  if (actual.length !== reference.length) {
    return {
      pass: false,
      maxError: Infinity,
      bound: 0,
      worstIndex: -1,
      failures: Math.max(actual.length, reference.length),
      message: `${label}: ${actual.length} values read back, ${reference.length} expected`,
    };
  }
  const boundAt: (i: number) => number =
    typeof bound === 'function' ? bound : typeof bound === 'number' ? () => bound : (i: number) => bound[i];
  const fixed = typeof bound === 'number' ? bound : 0;
  const perElement = typeof bound === 'object' ? bound : null;
  let maxError = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  let worstBound = 0;
  let failures = 0;
  let firstMismatch = -1;
  for (let i = 0; i < reference.length; i++) {
    const a = actual[i];
    const r = reference[i];
    // Arrays and numbers in the loop itself (no call per element: compare is called with
    // many different closures, so a call here is not inlined).
    const tol = perElement !== null ? perElement[i] : typeof bound === 'number' ? fixed : boundAt(i);
    let ratio: number;
    if (Number.isNaN(r)) {
      ratio = Number.isNaN(a) ? 0 : Infinity;
    } else if (!Number.isFinite(r)) {
      ratio = a === r ? 0 : Infinity;
    } else if (!Number.isFinite(a)) {
      ratio = Infinity;
    } else {
      const err = Math.abs(a - r);
      if (err > maxError) maxError = err;
      ratio = err === 0 ? 0 : tol > 0 ? err / tol : Infinity;
    }
    if (ratio === Infinity) {
      maxError = Infinity;
      if (firstMismatch < 0) firstMismatch = i;
    }
    if (ratio > 1) failures++;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
      worstBound = tol;
    }
  }
  if (firstMismatch >= 0) {
    worstIndex = firstMismatch;
    worstBound = boundAt(firstMismatch);
  }
  const pass = failures === 0;
  let message: string;
  if (worstIndex < 0) {
    message = `${label}: empty`;
  } else {
    const at = `index ${worstIndex} ${JSON.stringify(coordinates(worstIndex, shape))}`;
    const a = actual[worstIndex];
    const r = reference[worstIndex];
    const err = Math.abs(a - r);
    message = pass
      ? `${label}: ${reference.length} values within tolerance (max |error| ${fmt(maxError)}, worst ${fmt(worstRatio)} of its bound at ${at})`
      : `${label}: ${failures} of ${reference.length} values outside tolerance; worst at ${at}: got ${fmt(a)}, expected ${fmt(r)}` +
        (Number.isFinite(r) && Number.isFinite(a) ? ` (|error| ${fmt(err)} > bound ${fmt(worstBound)})` : ' (NaN/Inf must match exactly)');
  }
  return { pass, maxError, bound: worstBound, worstIndex, failures, message };
}
