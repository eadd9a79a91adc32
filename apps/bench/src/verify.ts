/**
 * Checking every contender's outputs against the float64 reference of the conformance kit
 * (`@llama-ops/conformance/reference`) under SPEC.md's tolerances (f32 or f16 storage), so a
 * fast wrong answer can never pass for a fast right one. The reference is computed once per
 * row, before any contender is timed.
 *
 * Small rows are checked element by element. The GPU rows are too large for a float64
 * reference in JavaScript (GQA prefill 16384 is 2.2 TFLOP), so above a budget the reference
 * covers a deterministic sample spread over the tensor: whole RMSNorm rows, whole RoPE
 * tokens, and attention outputs of single (batch, query, head) triples, always including the
 * first and the last. Each sampled value is compared exactly as in the full check.
 */
import { TOLERANCES } from '@llama-ops/conformance/suite';
import type { BenchDType, BenchRow, RowInputs } from './rows.js';

type ReferenceModule = typeof import('@llama-ops/conformance/reference');

/** SPEC.md tolerances for f32 storage (the conformance kit's table). */
export const F32_TOLERANCE = TOLERANCES.f32;
/** SPEC.md tolerances for f16 storage (f32 accumulation). */
export const F16_TOLERANCE = TOLERANCES.f16;

/** The tolerances of a storage dtype. */
export function toleranceOf(dtype: BenchDType): { rmsnorm: number; rope: number; gqa: number } {
  return dtype === 'f16' ? F16_TOLERANCE : F32_TOLERANCE;
}

/**
 * Reference elements computed in full below this count (RMSNorm, RoPE); above it, sampled
 * rows or tokens adding up to about this many.
 */
export const FULL_CHECK_ELEMENTS = 1 << 22;
/** Float64 attention work (4·d per visible key and head) computed in full below this; above it, sampled. */
export const FULL_CHECK_FLOPS = 4e8;

/** The reference outputs of a row (concatenated like the contenders' outputs) and each element's bound. */
export interface RowReference {
  /** Reference values: of every output element, or of the elements at `indices`. */
  values: Float64Array;
  /** Allowed `|output - reference|` for `values[j]`. */
  bound(j: number): number;
  /** Positions in the concatenated output that `values` holds (absent: every element, in order). */
  indices?: Float64Array;
  /** Length of the concatenated output (absent: `values.length`). */
  length?: number;
}

/** Outcome of comparing one output with the reference. */
export interface ToleranceCheck {
  /** Largest `|output - reference|` (Infinity when any output is NaN/Inf or lengths differ). */
  maxError: number;
  /** Largest `error / bound` over elements: at most 1 means every element is within tolerance. */
  worstRatio: number;
  /** Elements compared (all, or the sample). */
  checked: number;
}

let loaded: Promise<ReferenceModule | null> | null = null;

/** The reference module, or null when the conformance kit is not installed. */
export function loadReference(): Promise<ReferenceModule | null> {
  loaded ??= import('@llama-ops/conformance/reference').catch(() => null);
  return loaded;
}

/** `count` distinct integers spread evenly over `[0, n)`, the first and the last included. */
export function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count <= 1) return [n - 1];
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round((i * (n - 1)) / (count - 1)));
  return [...out];
}

function rmsnormReference(ref: ReferenceModule, row: BenchRow, inputs: Extract<RowInputs, { kind: 'rmsnorm' }>): RowReference {
  const p = row.params;
  if (p.kind !== 'rmsnorm') throw new Error('not an RMSNorm row');
  const tol = toleranceOf(row.dtype).rmsnorm;
  const n = p.rows * p.hidden;
  const outputs = inputs.residual ? 2 : 1;
  const picked = n <= FULL_CHECK_ELEMENTS ? null : spread(p.rows, Math.max(2, Math.floor(FULL_CHECK_ELEMENTS / p.hidden)));
  const gather = (a: Float32Array | null) => {
    if (!a || !picked) return a;
    const out = new Float32Array(picked.length * p.hidden);
    picked.forEach((r, i) => out.set(a.subarray(r * p.hidden, (r + 1) * p.hidden), i * p.hidden));
    return out;
  };
  const rows = picked ? picked.length : p.rows;
  const { y, sum } = ref.referenceAddRmsnorm(gather(inputs.x)!, gather(inputs.residual), [rows, p.hidden], inputs.weight, { eps: p.eps });
  // addRmsnorm returns [y, sum]; the peers' SkipSimplifiedLayerNormalization is read in that order too.
  const values = new Float64Array(y.length * outputs);
  values.set(y);
  if (outputs === 2) values.set(sum, y.length);
  const bound = (j: number) => tol * Math.max(1, Math.abs(values[j]));
  if (!picked) return { values, bound };
  const indices = new Float64Array(values.length);
  for (let o = 0; o < outputs; o++) {
    picked.forEach((r, i) => {
      for (let c = 0; c < p.hidden; c++) indices[o * y.length + i * p.hidden + c] = o * n + r * p.hidden + c;
    });
  }
  return { values, bound, indices, length: n * outputs };
}

function ropeReference(ref: ReferenceModule, row: BenchRow, inputs: Extract<RowInputs, { kind: 'rope' }>): RowReference {
  const p = row.params;
  if (p.kind !== 'rope') throw new Error('not a RoPE row');
  const tol = toleranceOf(row.dtype).rope;
  const tokenSize = p.heads * p.headDim;
  const tokens = p.batch * p.seq;
  const x = inputs.x;
  if (tokens * tokenSize <= FULL_CHECK_ELEMENTS) {
    const values = ref.referenceRope(x, [p.batch, p.seq, p.heads, p.headDim], { positions: p.start, theta: p.theta });
    return { values, bound: (j) => tol * Math.max(1, Math.abs(x[j])) };
  }
  const picked = spread(tokens, Math.max(2, Math.floor(FULL_CHECK_ELEMENTS / tokenSize)));
  const xs = new Float32Array(picked.length * tokenSize);
  const indices = new Float64Array(picked.length * tokenSize);
  picked.forEach((t, i) => {
    xs.set(x.subarray(t * tokenSize, (t + 1) * tokenSize), i * tokenSize);
    for (let e = 0; e < tokenSize; e++) indices[i * tokenSize + e] = t * tokenSize + e;
  });
  // Token t = b * seq + s sits at position start + s.
  const positions = picked.map((t) => p.start + (t % p.seq));
  const values = ref.referenceRope(xs, [1, picked.length, p.heads, p.headDim], { positions, theta: p.theta });
  return { values, bound: (j) => tol * Math.max(1, Math.abs(xs[j])), indices, length: tokens * tokenSize };
}

type GqaInputs = Extract<RowInputs, { kind: 'gqa' }>;

/**
 * A decode step's q and k as attention sees them: the queries and each batch entry's newest
 * `seqQ` keys rotated (float64 reference RoPE) at positions `kvLength - seqQ + i`, then
 * stored as float32 like every contender stores them.
 */
export function rotateDecodeInputs(ref: ReferenceModule, p: Extract<BenchRow['params'], { kind: 'gqa' }>, inputs: GqaInputs): GqaInputs {
  if (!p.rotary) return inputs;
  const { batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D } = p;
  const theta = p.rotary.theta;
  const positions = (b: number) => Array.from({ length: Sq }, (_, i) => p.kvLength[b] - Sq + i);
  const q = Float32Array.from(ref.referenceRope(inputs.q, [B, Sq, Hq, D], { positions: Array.from({ length: B }, (_, b) => positions(b)).flat(), theta }));
  const k = inputs.k.slice();
  for (let b = 0; b < B; b++) {
    const first = (b * Skv + p.kvLength[b] - Sq) * Hkv * D;
    const newest = inputs.k.subarray(first, first + Sq * Hkv * D);
    k.set(Float32Array.from(ref.referenceRope(newest, [1, Sq, Hkv, D], { positions: positions(b), theta })), first);
  }
  return { kind: 'gqa', q, k, v: inputs.v };
}

function gqaReference(ref: ReferenceModule, row: BenchRow, given: GqaInputs): RowReference {
  const p = row.params;
  if (p.kind !== 'gqa') throw new Error('not an attention row');
  const inputs = rotateDecodeInputs(ref, p, given);
  const tol = toleranceOf(row.dtype).gqa;
  const { batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D } = p;
  const kvLength = p.kvLength;
  // SPEC.md's bound uses max|v| over the keys that can be read (the rest may be garbage).
  let maxV = 0;
  for (let b = 0; b < B; b++) {
    const v = inputs.v.subarray(b * Skv * Hkv * D, (b * Skv + kvLength[b]) * Hkv * D);
    for (let i = 0; i < v.length; i++) maxV = Math.max(maxV, Math.abs(v[i]));
  }
  const bound = tol * Math.max(1, maxV);
  const shapes = { q: [B, Sq, Hq, D], k: [B, Skv, Hkv, D], v: [B, Skv, Hkv, D] };
  // Visible keys of query i in batch b (causal, bottom-right: position kvLength - Sq + i).
  const visible = (b: number, i: number) => (p.causal ? kvLength[b] - Sq + i + 1 : kvLength[b]);
  let total = 0;
  for (let b = 0; b < B; b++) for (let i = 0; i < Sq; i++) total += 4 * D * Hq * visible(b, i);
  if (total <= FULL_CHECK_FLOPS) {
    const values = ref.referenceGqa(inputs.q, inputs.k, inputs.v, shapes, { causal: p.causal, kvLength });
    return { values, bound: () => bound };
  }

  // Sample (batch, query, head) triples: every batch entry, queries spread from first to
  // last, heads rotating so every KV head group is covered.
  const perTriple = total / (B * Sq * Hq); // mean float64 work of one (batch, query, head)
  const count = Math.max(B, Math.min(4096, Math.floor(FULL_CHECK_FLOPS / perTriple)));
  const queries = spread(Sq, Math.max(1, Math.ceil(count / B)));
  const triples: Array<[number, number, number]> = [];
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (const i of queries) {
      triples.push([b, i, (n * 7 + b) % Hq]);
      n++;
    }
  }
  // Group by (batch, KV head) so each gathered K/V slice serves every triple that reads it.
  triples.sort((x, y) => x[0] - y[0] || Math.floor(x[2] / (Hq / Hkv)) - Math.floor(y[2] / (Hq / Hkv)));
  const values = new Float64Array(triples.length * D);
  const indices = new Float64Array(triples.length * D);
  let slice: { key: string; k: Float32Array; v: Float32Array } | null = null;
  triples.forEach(([b, i, h], t) => {
    const kvh = Math.floor(h / (Hq / Hkv));
    const len = kvLength[b];
    const key = `${b}/${kvh}`;
    if (slice?.key !== key) {
      const k = new Float32Array(len * D);
      const v = new Float32Array(len * D);
      for (let j = 0; j < len; j++) {
        const src = ((b * Skv + j) * Hkv + kvh) * D;
        k.set(inputs.k.subarray(src, src + D), j * D);
        v.set(inputs.v.subarray(src, src + D), j * D);
      }
      slice = { key, k, v };
    }
    const qo = ((b * Sq + i) * Hq + h) * D;
    const one = ref.referenceGqa(
      inputs.q.subarray(qo, qo + D),
      slice.k,
      slice.v,
      { q: [1, 1, 1, D], k: [1, len, 1, D], v: [1, len, 1, D] },
      { causal: p.causal, kvLength: len, queryOffset: len - Sq + i },
    );
    values.set(one, t * D);
    for (let d = 0; d < D; d++) indices[t * D + d] = qo + d;
  });
  return { values, bound: () => bound, indices, length: B * Sq * Hq * D };
}

/** The float64 reference of `row` on `inputs` (full or sampled), with SPEC.md's per-element bounds. */
export function rowReference(ref: ReferenceModule, row: BenchRow, inputs: RowInputs): RowReference {
  if (inputs.kind === 'rmsnorm') return rmsnormReference(ref, row, inputs);
  if (inputs.kind === 'rope') return ropeReference(ref, row, inputs);
  return gqaReference(ref, row, inputs);
}

/** Compare `output` with the reference, element by element (every element, or the sample). */
export function checkTolerance(output: ArrayLike<number>, reference: RowReference): ToleranceCheck {
  const ref = reference.values;
  const length = reference.length ?? ref.length;
  if (output.length !== length) return { maxError: Infinity, worstRatio: Infinity, checked: 0 };
  const at = reference.indices;
  let maxError = 0;
  let worstRatio = 0;
  for (let j = 0; j < ref.length; j++) {
    const err = Math.abs(output[at ? at[j] : j] - ref[j]);
    if (!(err <= maxError)) maxError = Number.isNaN(err) ? Infinity : err;
    const ratio = err / reference.bound(j);
    if (!(ratio <= worstRatio)) worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
  }
  return { maxError, worstRatio, checked: ref.length };
}
