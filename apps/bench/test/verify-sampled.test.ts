/**
 * The reference check of large rows: a deterministic sample whose values equal the full
 * float64 reference at the same positions, f16 tolerances for f16 rows, ragged caches, and
 * checkTolerance over a sample.
 */
import { describe, expect, it } from 'vitest';
import { makeInputs, type BenchRow } from '../src/rows.js';
import { checkTolerance, F16_TOLERANCE, FULL_CHECK_ELEMENTS, FULL_CHECK_FLOPS, loadReference, rowReference, spread } from '../src/verify.js';
import { attentionFlops } from '../src/stats.js';

const ref = (await loadReference())!;

function row(params: BenchRow['params'], dtype: BenchRow['dtype'] = 'f32'): BenchRow {
  return { id: 'test', op: params.kind === 'rmsnorm' ? (params.residual ? 'addRmsnorm' : 'rmsnorm') : params.kind, group: 'RMSNorm', title: 'test', params, dtype, size: 'gpu', bytes: 1, flops: null, metric: 'GB/s', targets: [] };
}

/** Every sampled value equals the full reference at its index. */
function expectSampleOfFull(sample: ReturnType<typeof rowReference>, full: Float64Array) {
  expect(sample.indices).toBeDefined();
  expect(sample.length).toBe(full.length);
  expect(sample.values.length).toBe(sample.indices!.length);
  let mismatches = 0;
  for (let j = 0; j < sample.values.length; j++) if (sample.values[j] !== full[sample.indices![j]]) mismatches++;
  expect(mismatches).toBe(0);
}

describe('spread', () => {
  it('picks distinct indices from first to last', () => {
    expect(spread(10, 3)).toEqual([0, 5, 9]);
    expect(spread(4, 10)).toEqual([0, 1, 2, 3]);
    expect(spread(7, 1)).toEqual([6]);
  });
});

describe('sampled float64 reference', () => {
  it('add+RMSNorm above the element budget: whole rows of y and of the sum, first and last included', () => {
    const r = row({ kind: 'rmsnorm', rows: 1024, hidden: 8192, residual: true, eps: 1e-5 });
    expect(1024 * 8192).toBeGreaterThan(FULL_CHECK_ELEMENTS);
    const inputs = makeInputs(r);
    if (inputs.kind !== 'rmsnorm') throw new Error('unexpected inputs');
    const sample = rowReference(ref, r, inputs);
    const { y, sum } = ref.referenceAddRmsnorm(inputs.x, inputs.residual, [1024, 8192], inputs.weight, { eps: 1e-5 });
    const full = new Float64Array(2 * y.length);
    full.set(y);
    full.set(sum, y.length);
    expectSampleOfFull(sample, full);
    expect(sample.indices![0]).toBe(0);
    expect(sample.indices![sample.values.length - 1]).toBe(full.length - 1);
    expect(sample.values.length).toBeLessThanOrEqual(2 * FULL_CHECK_ELEMENTS);
  });

  it('RoPE above the element budget: whole tokens at their positions', () => {
    const r = row({ kind: 'rope', tensor: 'q', batch: 1, seq: 1280, heads: 32, headDim: 128, start: 100, theta: 500000 });
    const inputs = makeInputs(r);
    if (inputs.kind !== 'rope') throw new Error('unexpected inputs');
    const sample = rowReference(ref, r, inputs);
    const full = ref.referenceRope(inputs.x, [1, 1280, 32, 128], { positions: 100, theta: 500000 });
    expectSampleOfFull(sample, full);
  });

  it('attention above the FLOP budget: (batch, query, head) outputs of a ragged cache with NaN past kvLength', () => {
    const kvLength = [640, 333, 512];
    const params = { kind: 'gqa', phase: 'decode', batch: 3, seqQ: 2, seqKV: 640, headsQ: 32, headsKV: 8, headDim: 128, causal: true, kvLength } as const;
    const r = row(params);
    const work = kvLength.reduce((a, l) => a + attentionFlops({ seqQ: 2, kvLength: l, causal: true, headsQ: 32, headDim: 128 }), 0);
    expect(work).toBeLessThan(FULL_CHECK_FLOPS);
    // Small enough for the full check: compare it with the reference directly, then force
    // the sample by a larger row of the same kind below.
    const inputs = makeInputs(r);
    if (inputs.kind !== 'gqa') throw new Error('unexpected inputs');
    const shapes = { q: [3, 2, 32, 128], k: [3, 640, 8, 128], v: [3, 640, 8, 128] };
    const full = ref.referenceGqa(inputs.q, inputs.k, inputs.v, shapes, { kvLength });
    expect(full.every(Number.isFinite)).toBe(true);
    expect(rowReference(ref, r, inputs).values).toEqual(full);

    const big = row({ ...params, seqQ: 64, kvLength: [640, 333, 512] });
    const bigInputs = makeInputs(big);
    if (bigInputs.kind !== 'gqa') throw new Error('unexpected inputs');
    const sample = rowReference(ref, big, bigInputs);
    const bigFull = ref.referenceGqa(bigInputs.q, bigInputs.k, bigInputs.v, { ...shapes, q: [3, 64, 32, 128] }, { kvLength });
    expectSampleOfFull(sample, bigFull);
    // Every batch entry is sampled, and its last query.
    const lastRows = [0, 1, 2].map((b) => ((b * 64 + 63) * 32) * 128);
    for (const start of lastRows) expect([...sample.indices!].some((i) => i >= start && i < start + 32 * 128)).toBe(true);
  });

  it('f16 rows use SPEC.md’s f16 tolerances', () => {
    const r = row({ kind: 'rmsnorm', rows: 4, hidden: 64, residual: false, eps: 1e-5 }, 'f16');
    const inputs = makeInputs(r);
    if (inputs.kind !== 'rmsnorm') throw new Error('unexpected inputs');
    const reference = rowReference(ref, r, inputs);
    expect(reference.bound(0)).toBe(F16_TOLERANCE.rmsnorm * Math.max(1, Math.abs(reference.values[0])));
  });

  it('checkTolerance compares only the sampled positions, and rejects a wrong length', () => {
    const reference = { values: Float64Array.from([1, 2]), indices: Float64Array.from([1, 3]), length: 4, bound: () => 1e-3 };
    expect(checkTolerance([99, 1, 99, 2], reference)).toEqual({ maxError: 0, worstRatio: 0, checked: 2 });
    const off = checkTolerance([0, 1.002, 0, 2], reference);
    expect(off.worstRatio).toBeCloseTo(2, 6);
    expect(checkTolerance([1, 2], reference).maxError).toBe(Infinity);
  });
});
