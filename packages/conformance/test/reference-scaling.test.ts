/**
 * The reference's RoPE scaling against values computed by hand from Hugging Face's
 * `modeling_rope_utils.py` formulas, the published Llama-3.1 band counts, and core's
 * independent `ropeFrequencies` (the two implementations must agree).
 */
import { ropeFrequencies, checkRopeScaling, type RopeScaling } from '@llama-ops/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceRopeFrequencies } from '../src/reference/index.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** Classify each frequency of a llama3 scaling as kept, divided by factor, or smoothed. */
function llama3Bands(invFreq: Float64Array, rotaryDim: number, theta: number, factor: number) {
  let kept = 0;
  let divided = 0;
  let smoothed = 0;
  for (let i = 0; i < invFreq.length; i++) {
    const base = 1 / theta ** ((2 * i) / rotaryDim);
    if (rel(invFreq[i], base) < 1e-14) kept++;
    else if (rel(invFreq[i], base / factor) < 1e-14) divided++;
    else {
      expect(invFreq[i]).toBeGreaterThan(base / factor);
      expect(invFreq[i]).toBeLessThan(base);
      smoothed++;
    }
  }
  return { kept, smoothed, divided };
}

describe('llama3 scaling: the published Llama-3.1 counts', () => {
  const scaling: RopeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
  it('reference: d 128, theta 5e5 -> 29 kept, 6 smoothed, 29 divided', () => {
    const { invFreq, attentionFactor } = referenceRopeFrequencies(128, 5e5, scaling, 0);
    expect(llama3Bands(invFreq, 128, 5e5, 8)).toEqual({ kept: 29, smoothed: 6, divided: 29 });
    expect(attentionFactor).toBe(1);
  });
  it("core's ropeFrequencies: the same counts", () => {
    const { invFreq } = ropeFrequencies(128, 5e5, checkRopeScaling(scaling, 128), 0);
    expect(llama3Bands(invFreq, 128, 5e5, 8)).toEqual({ kept: 29, smoothed: 6, divided: 29 });
  });
});

describe('reference scaling against hand-computed HF values', () => {
  it('dynamic NTK: d 64, theta 1e4, factor 2, maxPositionEmbeddings 2048, largest position 8191', () => {
    // base' = 1e4 * ((2 * 8192 / 2048) - 1) ** (64 / 62) = 1e4 * 7 ** (32 / 31) = 74534.83...
    const { invFreq } = referenceRopeFrequencies(64, 1e4, { type: 'dynamic', factor: 2, maxPositionEmbeddings: 2048 }, 8191);
    const want: Record<number, number> = { 0: 1, 1: 0.7042693252165533, 16: 0.003662860395123453, 31: 1.905030617376177e-5 };
    for (const [i, v] of Object.entries(want)) expect(rel(invFreq[Number(i)], v)).toBeLessThan(1e-12);
    // at or below the limit the base is unchanged
    const below = referenceRopeFrequencies(64, 1e4, { type: 'dynamic', factor: 2, maxPositionEmbeddings: 2048 }, 2047).invFreq;
    expect(rel(below[1], 1 / 1e4 ** (2 / 64))).toBeLessThan(1e-15);
  });

  it('yarn: d 128, theta 1e4, factor 40, orig 4096, betas 32/1 -> ramp over pairs 20..46, attentionFactor 1 + 0.1 ln 40', () => {
    const { invFreq, attentionFactor } = referenceRopeFrequencies(128, 1e4, { type: 'yarn', factor: 40, originalMaxPositionEmbeddings: 4096 }, 0);
    expect(rel(attentionFactor, 1.3688879454113936)).toBeLessThan(1e-15);
    const want: Record<number, number> = {
      0: 1, // below low = floor(20.94) = 20: extrapolated (unchanged)
      10: 0.23713737056616555,
      20: 0.056234132519034905, // ramp 0 at i = low
      30: 0.008334508951020777, // ramp (30 - 20) / 26
      40: 0.0007905694150420945,
      63: 2.8869549617236457e-6, // past high = ceil(45.03) = 46: interpolated (/ 40)
    };
    for (const [i, v] of Object.entries(want)) expect(rel(invFreq[Number(i)], v)).toBeLessThan(1e-12);
    const m = referenceRopeFrequencies(64, 1e4, { type: 'yarn', factor: 8, originalMaxPositionEmbeddings: 2048, mscale: 1, mscaleAllDim: 0.5 }, 0);
    // get_mscale(8, 1) / get_mscale(8, 0.5) = (1 + 0.1 ln 8) / (1 + 0.05 ln 8)
    expect(rel(m.attentionFactor, 1.094179988101349)).toBeLessThan(1e-14);
  });

  it('longrope: d 96, orig 4096, max 131072 -> attentionFactor sqrt(17/12); short/long factors by the largest position', () => {
    const short = Array.from({ length: 48 }, (_, i) => 1 + (0.1 * i) / 47);
    const long = Array.from({ length: 48 }, (_, i) => 1 + (39 * i) / 47);
    const s: RopeScaling = { type: 'longrope', shortFactor: short, longFactor: long, originalMaxPositionEmbeddings: 4096, maxPositionEmbeddings: 131072 };
    const a = referenceRopeFrequencies(96, 1e4, s, 4095);
    expect(rel(a.attentionFactor, Math.sqrt(17 / 12))).toBeLessThan(1e-15);
    const wantShort: Record<number, number> = { 0: 1, 1: 0.823651734768511, 24: 0.009514170040485829, 47: 0.00011013887805714443 };
    for (const [i, v] of Object.entries(wantShort)) expect(rel(a.invFreq[Number(i)], v)).toBeLessThan(1e-12);
    const b = referenceRopeFrequencies(96, 1e4, s, 4096);
    const wantLong: Record<number, number> = { 0: 1, 1: 0.4510929849720566, 24: 0.00047812817904374356, 47: 3.028819146571472e-6 };
    for (const [i, v] of Object.entries(wantLong)) expect(rel(b.invFreq[Number(i)], v)).toBeLessThan(1e-12);
  });

  it('linear divides every frequency by the factor', () => {
    const { invFreq } = referenceRopeFrequencies(8, 1e4, { type: 'linear', factor: 4 }, 0);
    [1, 0.1, 0.01, 0.001].forEach((base, i) => expect(rel(invFreq[i], base / 4)).toBeLessThan(1e-15));
  });
});

describe("reference and core's ropeFrequencies agree (two independent implementations)", () => {
  const scalingArb: fc.Arbitrary<RopeScaling> = fc.oneof(
    fc.constant({ type: 'default' } as RopeScaling),
    fc.record({ type: fc.constant('linear' as const), factor: fc.double({ min: 0.1, max: 64, noNaN: true }) }),
    fc.record({ type: fc.constant('dynamic' as const), factor: fc.double({ min: 1, max: 16, noNaN: true }), maxPositionEmbeddings: fc.integer({ min: 16, max: 1 << 17 }) }),
    fc
      .record({
        factor: fc.double({ min: 1, max: 64, noNaN: true }),
        lowFreqFactor: fc.double({ min: 0.25, max: 4, noNaN: true }),
        gap: fc.double({ min: 0.1, max: 8, noNaN: true }),
        originalMaxPositionEmbeddings: fc.integer({ min: 64, max: 1 << 16 }),
      })
      .map(({ gap, ...r }) => ({ type: 'llama3' as const, ...r, highFreqFactor: r.lowFreqFactor + gap })),
    fc.record(
      {
        type: fc.constant('yarn' as const),
        factor: fc.double({ min: 1, max: 64, noNaN: true }),
        originalMaxPositionEmbeddings: fc.integer({ min: 64, max: 1 << 16 }),
        betaFast: fc.double({ min: 4, max: 64, noNaN: true }),
        betaSlow: fc.double({ min: 0.25, max: 4, noNaN: true }),
        attentionFactor: fc.double({ min: 0.5, max: 2, noNaN: true }),
        mscale: fc.double({ min: 0.1, max: 2, noNaN: true }),
        mscaleAllDim: fc.double({ min: 0.1, max: 2, noNaN: true }),
        truncate: fc.boolean(),
      },
      { requiredKeys: ['type', 'factor', 'originalMaxPositionEmbeddings'] },
    ),
  );

  it('for random dims, bases, scalings and largest positions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 128 }), fc.constantFrom(1e4, 5e5, 1e6, 500), scalingArb, fc.integer({ min: 0, max: 2 ** 20 }), (half, theta, scaling, maxPos) => {
        const rotaryDim = 2 * half;
        const a = referenceRopeFrequencies(rotaryDim, theta, scaling, maxPos);
        const b = ropeFrequencies(rotaryDim, theta, checkRopeScaling(scaling, rotaryDim), maxPos);
        expect(rel(a.attentionFactor, b.attentionFactor)).toBeLessThan(1e-14);
        for (let i = 0; i < half; i++) expect(rel(a.invFreq[i], b.invFreq[i])).toBeLessThan(1e-12);
      }),
      { seed: 1234, numRuns: 300 },
    );
  });

  it('for longrope on both sides of the original context', () => {
    for (const maxPos of [0, 4094, 4095, 4096, 100000]) {
      const s = checkRopeScaling(
        { type: 'longrope', shortFactor: [1, 1.5, 2, 3], longFactor: [4, 8, 16, 32], originalMaxPositionEmbeddings: 4096, maxPositionEmbeddings: 65536 },
        8,
      );
      const a = referenceRopeFrequencies(8, 1e4, s, maxPos);
      const b = ropeFrequencies(8, 1e4, s, maxPos);
      expect(Array.from(a.invFreq)).toEqual(Array.from(b.invFreq));
      expect(a.attentionFactor).toBe(b.attentionFactor);
    }
  });
});
