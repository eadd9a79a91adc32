import { describe, expect, it } from 'vitest';
import { checkRopeScaling, rope, ropeFrequencies, ropeTableForPositions, ropeTableForRange } from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

const llama31 = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } as const;

describe('ropeFrequencies', () => {
  it('default: invFreq[i] = theta^(-2i/d)', () => {
    const { invFreq, attentionFactor } = ropeFrequencies(8, 10000, { type: 'default' }, 10);
    expect(Array.from(invFreq)).toEqual([1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]);
    expect(attentionFactor).toBe(1);
  });

  it('llama3 (Llama-3.1, d=128, theta=5e5, factor 8): 29 kept, 6 smoothed, 29 divided', () => {
    const base = ropeFrequencies(128, 500000, { type: 'default' }, 0).invFreq;
    const scaled = ropeFrequencies(128, 500000, llama31, 0).invFreq;
    let kept = 0;
    let divided = 0;
    let smoothed = 0;
    for (let i = 0; i < 64; i++) {
      const ratio = scaled[i] / base[i];
      if (ratio === 1) kept++;
      else if (Math.abs(ratio - 1 / 8) < 1e-15) divided++;
      else {
        smoothed++;
        expect(ratio).toBeGreaterThan(1 / 8);
        expect(ratio).toBeLessThan(1);
      }
    }
    expect({ kept, smoothed, divided }).toEqual({ kept: 29, smoothed: 6, divided: 29 });
  });

  it('linear divides every frequency by the factor', () => {
    const base = ropeFrequencies(16, 10000, { type: 'default' }, 0).invFreq;
    const lin = ropeFrequencies(16, 10000, { type: 'linear', factor: 4 }, 0).invFreq;
    lin.forEach((f, i) => expect(f).toBeCloseTo(base[i] / 4, 15));
  });

  it('dynamic leaves short calls alone and raises the base past maxPositionEmbeddings', () => {
    const scaling = { type: 'dynamic', factor: 2, maxPositionEmbeddings: 100 } as const;
    const base = ropeFrequencies(8, 10000, { type: 'default' }, 0).invFreq;
    expect(Array.from(ropeFrequencies(8, 10000, scaling, 99).invFreq)).toEqual(Array.from(base));
    const L = 200;
    const theta2 = 10000 * ((2 * L) / 100 - 1) ** (8 / 6);
    const dyn = ropeFrequencies(8, 10000, scaling, L - 1).invFreq;
    dyn.forEach((f, i) => expect(f).toBeCloseTo(theta2 ** ((-2 * i) / 8), 15));
  });

  it('yarn: default attention factor 0.1 ln(factor) + 1, mscale ratio when both given, ramp between extremes', () => {
    const y = ropeFrequencies(64, 10000, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096 }, 0);
    expect(y.attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 15);
    const base = ropeFrequencies(64, 10000, { type: 'default' }, 0).invFreq;
    expect(y.invFreq[0]).toBe(base[0]); // highest frequency extrapolated
    expect(y.invFreq[31]).toBeCloseTo(base[31] / 4, 18); // lowest interpolated
    const m = ropeFrequencies(64, 10000, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, mscale: 1, mscaleAllDim: 0.5 }, 0);
    expect(m.attentionFactor).toBeCloseTo((0.1 * Math.log(4) + 1) / (0.05 * Math.log(4) + 1), 15);
  });

  it('longrope switches to long factors at originalMaxPositionEmbeddings, with the default attention factor', () => {
    const scaling = checkRopeScaling(
      { type: 'longrope', shortFactor: [1, 2], longFactor: [3, 4], originalMaxPositionEmbeddings: 4096, maxPositionEmbeddings: 131072 },
      4,
    );
    const short = ropeFrequencies(4, 10000, scaling, 4095);
    const long = ropeFrequencies(4, 10000, scaling, 4096);
    expect(short.invFreq[1]).toBeCloseTo(1 / (2 * 100), 15);
    expect(long.invFreq[1]).toBeCloseTo(1 / (4 * 100), 15);
    expect(long.attentionFactor).toBeCloseTo(Math.sqrt(1 + Math.log(32) / Math.log(4096)), 15);
  });
});

describe('rope tables', () => {
  it('are computed from float64 angles at large positions and folded with the attention factor', () => {
    const freq = ropeFrequencies(4, 10000, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 64 }, 0);
    const p = 2 ** 20 - 1;
    const t = ropeTableForRange(freq, p, 1);
    const expected = freq.attentionFactor * Math.cos(p * freq.invFreq[0]);
    expect(t.cos[0]).toBe(Math.fround(expected));
    // A float32 angle would be off by far more than float32 rounding of the cosine:
    const f32Angle = Math.fround(Math.fround(p) * Math.fround(freq.invFreq[0]));
    expect(Math.abs(t.cos[0] - freq.attentionFactor * Math.cos(f32Angle))).toBeLessThan(1); // sanity
  });
  it('are cached per configuration and range', () => {
    const freq = ropeFrequencies(8, 10000, { type: 'default' }, 0);
    expect(ropeTableForRange(freq, 5, 3)).toBe(ropeTableForRange(freq, 5, 3));
    expect(ropeTableForRange(freq, 5, 3)).not.toBe(ropeTableForRange(freq, 6, 3));
  });
  it('explicit positions give one row per token', () => {
    const freq = ropeFrequencies(4, 10000, { type: 'default' }, 0);
    const t = ropeTableForPositions(freq, Int32Array.from([3, 0]));
    expect(t.perToken).toBe(true);
    expect(t.rows).toBe(2);
    expect(t.sin[0]).toBe(Math.fround(Math.sin(3)));
    expect(t.sin[2]).toBe(0);
  });
});

describe('scaling configurations that would give non-finite tables are rejected', () => {
  it('longrope with originalMaxPositionEmbeddings 1 and no attentionFactor', () => {
    const s = { type: 'longrope', shortFactor: [1, 1], longFactor: [2, 2], originalMaxPositionEmbeddings: 1, maxPositionEmbeddings: 8 } as const;
    expect(() => checkRopeScaling(s, 4)).toThrow(/originalMaxPositionEmbeddings/);
    expect(() => checkRopeScaling({ ...s, attentionFactor: 1.2 }, 4)).not.toThrow();
  });
  it('yarn whose mscale ratio is not a positive finite factor', () => {
    expect(() => checkRopeScaling({ type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, mscale: 1, mscaleAllDim: -100 }, 8)).toThrow(/mscaleAllDim/);
  });
  it('a misspelled scaling field is a typed error naming it', () => {
    expect(() => checkRopeScaling({ type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, betafast: 16 }, 8)).toThrow(/did you mean 'betaFast'/);
  });
});

describe('every accepted scaling gives finite cos/sin tables (parameters that would overflow are a ValueError)', () => {
  const lr = { type: 'longrope', originalMaxPositionEmbeddings: 4096, maxPositionEmbeddings: 8192, shortFactor: [1, 1], longFactor: [1, 1] } as const;
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['linear factor whose inverse overflows', { type: 'linear', factor: 1e-320 }, 0, /^rope: options\.scaling expected parameters whose inverse frequencies give finite angles.*invFreq\[0\] = Infinity/],
    ['linear factor whose angle overflows at the largest position', { type: 'linear', factor: 1e-300 }, 2 ** 30, /invFreq\[0\] = 9\.99+e\+299/],
    ['yarn factor whose inverse overflows', { type: 'yarn', factor: 1e-320, originalMaxPositionEmbeddings: 4096 }, 0, /options\.scaling expected/],
    ['yarn betaFast that leaves no finite ramp', { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, betaFast: 1e-320 }, 1, /options\.scaling expected/],
    ['yarn attentionFactor past float32', { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, attentionFactor: 1e39 }, 1, /options\.scaling\.attentionFactor expected an attention factor in \(0, 3\.4028235e\+38\]/],
    ['yarn mscale ratio past float32', { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, mscale: 1e308, mscaleAllDim: 1 }, 1, /options\.scaling expected an attention factor/],
    ['longrope factor whose inverse overflows', { ...lr, shortFactor: [1e-320, 1] }, 1, /invFreq\[0\] = Infinity from \{ type: 'longrope'/],
    ['longrope attentionFactor past float32', { ...lr, attentionFactor: 1e39 }, 1, /options\.scaling\.attentionFactor/],
  ];
  for (const [name, scaling, maxPosition, message] of cases) {
    it(name, () => {
      const s = checkRopeScaling(scaling, 4); // each parameter passes on its own
      expect(() => ropeFrequencies(4, 10000, s, maxPosition)).toThrow(expect.objectContaining({ code: 'E_VALUE', op: 'rope', message: expect.stringMatching(message) }));
    });
  }
  it('rope() refuses them before any kernel runs', () => {
    const { backend } = createFakeBackend();
    const x = backend.tensor(new Float32Array(8), [1, 1, 2, 4]);
    expect(() => rope(x, { positions: 0, scaling: { type: 'linear', factor: 1e-320 } })).toThrow(expect.objectContaining({ code: 'E_VALUE', argument: 'options.scaling' }));
    expect(backend.memory().tensors).toBe(1);
  });
  it('extreme but representable configurations stay accepted and finite', () => {
    for (const [s, p] of [
      [{ type: 'linear', factor: 1e-300 }, 1],
      [{ type: 'dynamic', factor: 1e308, maxPositionEmbeddings: 1 }, 100],
      [{ ...lr, originalMaxPositionEmbeddings: 2, maxPositionEmbeddings: 1e15 }, 1],
    ] as const) {
      const f = ropeFrequencies(4, 10000, checkRopeScaling(s, 4), p);
      const t = ropeTableForRange(f, p, 1);
      expect([...t.cos, ...t.sin].every(Number.isFinite)).toBe(true);
    }
  });
});
