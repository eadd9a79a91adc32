/**
 * Comparison of a backend's output with the float64 reference under SPEC.md's tolerances,
 * through the conformance kit's own rules (`compare`, `TOLERANCES`, `ropeBounds`,
 * `maxAbsValid`), so `run --check` and the demo judge exactly as `verify` does.
 */
import type { DType, RopeScaling } from '@llama-ops/core';
import { fmtParam } from './format.js';
import type { Conformance } from './reference.js';

/** Result of one comparison (JSON-friendly). */
export interface CheckResult {
  /** Largest `|y - ref|`. */
  maxError: number;
  /** The tolerance bound at the worst element. */
  tolerance: number;
  /** Number of elements out of tolerance. */
  failures: number;
  pass: boolean;
  /** The SPEC rule applied, e.g. `1e-5 * max(1, |ref|)`. */
  rule: string;
  /** The kit's summary: where the worst element is and by how much. */
  message: string;
}

type Comparison = ReturnType<Conformance['suite']['compare']>;

function result(c: Comparison, rule: string): CheckResult {
  return { maxError: c.maxError, tolerance: c.bound, failures: c.failures, pass: c.pass, rule, message: c.message };
}

/** rmsnorm (and the sum of addRmsnorm): `|y - ref| <= tol * max(1, |ref|)`. */
export function checkRmsnorm(k: Conformance, actual: Float32Array, ref: ArrayLike<number>, shape: readonly number[], dtype: DType, label = 'rmsnorm output'): CheckResult {
  const tol = k.suite.TOLERANCES[dtype].rmsnorm;
  return result(k.suite.compare(actual, ref, (i) => tol * Math.max(1, Math.abs(ref[i])), label, shape), `${fmtParam(tol)} * max(1, |ref|)`);
}

/** rope: `|y - ref| <= tol * max(1, |x|)` with the kit's per-pair bound (attention factor included). */
export function checkRope(
  k: Conformance,
  actual: Float32Array,
  ref: ArrayLike<number>,
  x: Float32Array,
  shape: [number, number, number, number],
  options: { positions?: number | Int32Array; theta?: number; rotaryDim?: number; interleaved?: boolean; scaling?: RopeScaling },
  dtype: DType,
): CheckResult {
  const tol = k.suite.TOLERANCES[dtype].rope;
  const bounds = k.suite.ropeBounds({ op: 'rope', x, shape, options }, tol);
  return result(k.suite.compare(actual, ref, (i) => bounds[i], 'rope output', shape), `${fmtParam(tol)} * max(1, |x|)`);
}

/** gqa: `|y - ref| <= tol * max(1, max|v|)` over the valid keys. */
export function checkGqa(
  k: Conformance,
  actual: Float32Array,
  ref: ArrayLike<number>,
  v: Float32Array,
  vShape: readonly number[],
  kvLength: number | readonly number[] | undefined,
  outShape: readonly number[],
  dtype: DType,
): CheckResult {
  const tol = k.suite.TOLERANCES[dtype].gqa;
  const bound = tol * Math.max(1, k.suite.maxAbsValid(v, vShape, kvLength));
  return result(k.suite.compare(actual, ref, () => bound, 'gqa output', outShape), `${fmtParam(tol)} * max(1, max|v|)`);
}

/** The worse of two checks (both must pass). */
export function worst(a: CheckResult, b: CheckResult): CheckResult {
  const ra = a.tolerance > 0 ? a.maxError / a.tolerance : a.maxError;
  const rb = b.tolerance > 0 ? b.maxError / b.tolerance : b.maxError;
  const w = rb > ra ? b : a;
  return { ...w, failures: a.failures + b.failures, pass: a.pass && b.pass };
}
