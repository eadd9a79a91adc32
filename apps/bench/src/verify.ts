/**
 * Checking every contender's outputs against the float64 reference of the conformance kit
 * (`@llama-ops/conformance/reference`) under SPEC.md's f32 tolerances, so a fast wrong
 * answer can never pass for a fast right one. The reference is computed once per row.
 */
import type { BenchRow, RowInputs } from './rows.js';

type ReferenceModule = typeof import('@llama-ops/conformance/reference');

/** SPEC.md tolerances for f32 storage. */
export const F32_TOLERANCE = { rmsnorm: 1e-5, rope: 2e-6, gqa: 1e-4 } as const;

/** The reference outputs of a row (concatenated like the contenders' outputs) and each element's bound. */
export interface RowReference {
  values: Float64Array;
  /** Allowed `|output - reference|` at element `i`. */
  bound(i: number): number;
}

/** Outcome of comparing one output with the reference. */
export interface ToleranceCheck {
  /** Largest `|output - reference|` (Infinity when any output is NaN/Inf or lengths differ). */
  maxError: number;
  /** Largest `error / bound` over elements: at most 1 means every element is within tolerance. */
  worstRatio: number;
}

let loaded: Promise<ReferenceModule | null> | null = null;

/** The reference module, or null when the conformance kit is not installed. */
export function loadReference(): Promise<ReferenceModule | null> {
  loaded ??= import('@llama-ops/conformance/reference').catch(() => null);
  return loaded;
}

/** The float64 reference of `row` on `inputs`, with SPEC.md's per-element bounds. */
export function rowReference(ref: ReferenceModule, row: BenchRow, inputs: RowInputs): RowReference {
  const p = row.params;
  if (p.kind === 'rmsnorm' && inputs.kind === 'rmsnorm') {
    const shape = [p.rows, p.hidden];
    const { y, sum } = ref.referenceAddRmsnorm(inputs.x, inputs.residual, shape, inputs.weight, { eps: p.eps });
    let values = y;
    if (inputs.residual) {
      // addRmsnorm returns [y, sum]; the peers' SkipSimplifiedLayerNormalization is read in that order too.
      values = new Float64Array(y.length * 2);
      values.set(y);
      values.set(sum, y.length);
    }
    return { values, bound: (i) => F32_TOLERANCE.rmsnorm * Math.max(1, Math.abs(values[i])) };
  }
  if (p.kind === 'rope' && inputs.kind === 'rope') {
    const values = ref.referenceRope(inputs.x, [p.batch, p.seq, p.heads, p.headDim], { positions: p.start, theta: p.theta });
    const x = inputs.x;
    return { values, bound: (i) => F32_TOLERANCE.rope * Math.max(1, Math.abs(x[i])) };
  }
  if (p.kind === 'gqa' && inputs.kind === 'gqa') {
    const values = ref.referenceGqa(
      inputs.q,
      inputs.k,
      inputs.v,
      {
        q: [p.batch, p.seqQ, p.headsQ, p.headDim],
        k: [p.batch, p.seqKV, p.headsKV, p.headDim],
        v: [p.batch, p.seqKV, p.headsKV, p.headDim],
      },
      { causal: p.causal },
    );
    let maxV = 0;
    for (let i = 0; i < inputs.v.length; i++) maxV = Math.max(maxV, Math.abs(inputs.v[i]));
    const b = F32_TOLERANCE.gqa * Math.max(1, maxV);
    return { values, bound: () => b };
  }
  throw new Error(`row ${row.id}: inputs of kind ${inputs.kind} do not match params of kind ${p.kind}`);
}

/** Compare `output` with the reference, element by element. */
export function checkTolerance(output: ArrayLike<number>, reference: RowReference): ToleranceCheck {
  const ref = reference.values;
  if (output.length !== ref.length) return { maxError: Infinity, worstRatio: Infinity };
  let maxError = 0;
  let worstRatio = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(output[i] - ref[i]);
    if (!(err <= maxError)) maxError = Number.isNaN(err) ? Infinity : err;
    const ratio = err / reference.bound(i);
    if (!(ratio <= worstRatio)) worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
  }
  return { maxError, worstRatio };
}
