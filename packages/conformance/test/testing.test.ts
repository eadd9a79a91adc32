import { describe, expect, it } from 'vitest';
import { Rng, TOLERANCES, maxAbsError, maxRelError, randomArray, tolerance, worstError } from '../src/testing.js';
import { TOLERANCES as CHECK_TOLERANCES } from '../src/check.js';

describe('@llama-ops/conformance/testing', () => {
  it("tolerance() reads SPEC.md's table, the one the kit checks with", () => {
    expect(TOLERANCES).toBe(CHECK_TOLERANCES);
    expect(tolerance('rmsnorm')).toBe(1e-5);
    expect(tolerance('rope', 'f32')).toBe(2e-6);
    expect(tolerance('gqa', 'f16')).toBe(5e-3);
  });

  it('randomArray is the kit generator: same seed, same values; a string seed hashes', () => {
    const a = randomArray(1000, 7, 0.5);
    expect(a).toEqual(new Rng(7).array(1000, 0.5));
    expect(randomArray(8, 'x')).toEqual(new Rng('x').array(8));
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(randomArray(4, 8)).not.toEqual(randomArray(4, 7));
    // mulberry32 from seed 1: a fixed first value, so a change of generator is seen.
    expect(randomArray(1, 1)[0]).toBeCloseTo(2 * 0.6270739405881613 - 1, 6);
  });

  it('worstError, maxAbsError, maxRelError: values, where, NaN and infinities, lengths', () => {
    expect(worstError([1, 2, 3.5], [1, 2, 3])).toEqual({ error: 0.5, index: 2 });
    expect(maxAbsError([1, NaN], [1, 2])).toBe(Infinity);
    expect(maxAbsError([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity])).toBe(0);
    expect(maxAbsError([Infinity], [-Infinity])).toBe(Infinity);
    expect(maxAbsError([1], [1, 2])).toBe(Infinity);
    // relative to max(1, |expected|) by default; to a constant scale for GQA
    expect(maxRelError([110], [100])).toBeCloseTo(0.1, 12);
    expect(maxRelError([0.5], [0.25])).toBeCloseTo(0.25, 12);
    expect(maxRelError([3], [1], 4)).toBeCloseTo(0.5, 12);
    expect(maxRelError([3, 1], [1, 1], [10, 1])).toBeCloseTo(0.2, 12);
  });
});
