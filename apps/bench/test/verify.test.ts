import { describe, expect, it } from 'vitest';
import { ROWS, makeInputs } from '../src/rows.js';
import { checkTolerance, F32_TOLERANCE, loadReference, rowReference } from '../src/verify.js';

describe('float64 verification', () => {
  it('checkTolerance reports the largest error and the worst error / bound', () => {
    const ref = { values: Float64Array.from([1, 10, -2]), bound: (i: number) => 1e-5 * Math.max(1, Math.abs([1, 10, -2][i])) };
    const check = checkTolerance([1 + 5e-6, 10 + 2e-4, -2], ref);
    expect(check.maxError).toBeCloseTo(2e-4, 12);
    expect(check.worstRatio).toBeCloseTo(2, 6);
    expect(checkTolerance([NaN, 10, -2], ref).worstRatio).toBe(Infinity);
    expect(checkTolerance([1], ref).maxError).toBe(Infinity);
  });

  it('builds the reference of an add+RMSNorm row as [y, sum] with SPEC bounds', async () => {
    const mod = await loadReference();
    expect(mod).not.toBeNull();
    const row = ROWS.find((r) => r.id === 'add-rmsnorm-1x4096')!;
    const inputs = makeInputs(row);
    if (inputs.kind !== 'rmsnorm' || !inputs.residual) throw new Error('unexpected inputs');
    const ref = rowReference(mod!, row, inputs);
    expect(ref.values.length).toBe(2 * 4096);
    // The second half is the plain sum x + residual.
    expect(ref.values[4096 + 7]).toBe(inputs.x[7] + inputs.residual[7]);
    expect(ref.bound(0)).toBe(F32_TOLERANCE.rmsnorm * Math.max(1, Math.abs(ref.values[0])));
  });
});
