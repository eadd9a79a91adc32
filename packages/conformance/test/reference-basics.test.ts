/** The reference on values small enough to check by hand. */
import { describe, expect, it } from 'vitest';
import { referenceAddRmsnorm, referenceGqa, referenceRmsnorm, referenceRope } from '../src/reference/index.js';

describe('referenceRmsnorm', () => {
  it('y = x / sqrt(mean(x^2) + eps) * (w + weightOffset), no mean subtracted', () => {
    // mean(x^2) of [3, 4] is 12.5
    const y = referenceRmsnorm([3, 4], [2], [1, 2], { eps: 0 });
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 15);
    expect(y[1]).toBeCloseTo((4 / Math.sqrt(12.5)) * 2, 15);
    const gemma = referenceRmsnorm([3, 4], [2], [0, 1], { eps: 0, weightOffset: 1 });
    expect(gemma[1]).toBeCloseTo((4 / Math.sqrt(12.5)) * 2, 15);
  });
  it('does not overflow at 1e18 and follows IEEE for Inf / NaN', () => {
    const y = referenceRmsnorm([1e18, -1e18], [2], [1, 1]);
    expect(Array.from(y)).toEqual([1, -1]);
    const inf = referenceRmsnorm([Infinity, 1, NaN, 1], [2, 2], [1, 1]);
    expect(Array.from(inf)).toEqual([NaN, 0, NaN, NaN]);
  });
  it('addRmsnorm returns the sum too', () => {
    const { y, sum } = referenceAddRmsnorm([1, 2], [2, 2], [2], [1, 1], { eps: 0 });
    expect(Array.from(sum)).toEqual([3, 4]);
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 15);
  });
});

describe('referenceRope', () => {
  it('rotates (i, i + d/2) by position * theta^(-2i/d), leaves pass-through dims alone', () => {
    // d = 4, rotaryDim 4: pairs (0, 2) at angle p, (1, 3) at angle p / 100
    const y = referenceRope([1, 0, 0, 1], [1, 1, 1, 4], { positions: 2 });
    expect(y[0]).toBeCloseTo(Math.cos(2), 15);
    expect(y[2]).toBeCloseTo(Math.sin(2), 15);
    expect(y[1]).toBeCloseTo(-Math.sin(0.02), 15);
    expect(y[3]).toBeCloseTo(Math.cos(0.02), 15);
    const partial = referenceRope([1, 0, 7, 8], [1, 1, 1, 4], { positions: 1, rotaryDim: 2 });
    expect(Array.from(partial)).toEqual([Math.cos(1), Math.sin(1), 7, 8]);
  });
  it('interleaved pairs (2i, 2i + 1)', () => {
    const y = referenceRope([1, 0, 0, 1], [1, 1, 1, 4], { positions: 2, interleaved: true });
    expect(y[0]).toBeCloseTo(Math.cos(2), 15);
    expect(y[1]).toBeCloseTo(Math.sin(2), 15);
    expect(y[2]).toBeCloseTo(-Math.sin(0.02), 15);
  });
  it('explicit positions per batch', () => {
    const y = referenceRope([1, 0, 1, 0], [2, 1, 1, 2], { positions: [0, 3] });
    expect(Array.from(y)).toEqual([1, 0, Math.cos(3), Math.sin(3)]);
  });
});

describe('referenceGqa', () => {
  const shapes = { q: [1, 1, 1, 1], k: [1, 2, 1, 1], v: [1, 2, 1, 1] };
  it('softmax-weights the visible values', () => {
    // scores: scale 1 * q*k = [0, ln 3] -> weights [1/4, 3/4]
    const y = referenceGqa([1], [0, Math.log(3)], [4, 8], shapes, { scale: 1 });
    expect(y[0]).toBeCloseTo(7, 14);
  });
  it('sinks join the denominator only', () => {
    // exp(0) + exp(ln 3) + exp(ln 4) = 8 -> weights 1/8, 3/8
    const y = referenceGqa([1], [0, Math.log(3)], [4, 8], shapes, { scale: 1, sinks: [Math.log(4)] });
    expect(y[0]).toBeCloseTo(4 / 8 + 24 / 8, 14);
  });
  it('causal, window, kvLength, queryOffset and rows with no visible key', () => {
    const s3 = { q: [1, 1, 1, 1], k: [1, 3, 1, 1], v: [1, 3, 1, 1] };
    const k = [0, 0, 0];
    const v = [1, 2, 30];
    expect(referenceGqa([1], k, v, s3, { queryOffset: 1 })[0]).toBeCloseTo(1.5, 14); // keys 0, 1
    expect(referenceGqa([1], k, v, s3, { window: 1 })[0]).toBe(30); // own key only (p = 2)
    expect(referenceGqa([1], [0, 0, NaN], [1, 2, NaN], s3, { kvLength: 2 })[0]).toBeCloseTo(1.5, 14); // NaN past kvLength unread
    expect(referenceGqa([1], k, v, s3, { queryOffset: -1 })[0]).toBe(0); // no visible key
    expect(referenceGqa([1], k, v, s3, { causal: false, queryOffset: -1 })[0]).toBeCloseTo(11, 14);
  });
  it('softcap before the mask; query head h reads KV head floor(h / group)', () => {
    const sc = referenceGqa([1], [0, 100], [0, 1], shapes, { scale: 1, softcap: 1, mask: { data: [0, -Math.tanh(100)], shape: [1, 1, 1, 2] } });
    expect(sc[0]).toBeCloseTo(0.5, 12);
    // Hq 2, Hkv 1 -> both query heads read KV head 0
    const y = referenceGqa([1, 1], [0, 0], [2, 4], { q: [1, 1, 2, 1], k: [1, 2, 1, 1], v: [1, 2, 1, 1] });
    expect(Array.from(y)).toEqual([3, 3]);
  });
});

describe('SPEC.md "Range and special values" in the reference', () => {
  const s2 = { q: [1, 1, 1, 1], k: [1, 2, 1, 1], v: [1, 2, 1, 1] };
  /** torch.finfo(torch.float32).min */
  const FINFO_MIN = -3.4028234663852886e38;
  it('mask values <= -1e30 are masked: every visible key at finfo.min gives zeros, one key at -1e30 gets no weight', () => {
    // In float64, score + finfo.min is the same for both keys: without the rule this is the mean 3.
    expect(Array.from(referenceGqa([1], [0, 1], [2, 4], s2, { mask: { data: [FINFO_MIN, FINFO_MIN], shape: [1, 1, 1, 2] } }))).toEqual([0]);
    expect(Array.from(referenceGqa([1], [0, 1], [2, 4], s2, { mask: { data: [-1e30, 0], shape: [1, 1, 1, 2] } }))).toEqual([4]);
    // -9e29 is a (huge) penalty, not a mask: score + -9e29 rounds to -9e29 for both keys.
    expect(referenceGqa([1], [0, 1], [2, 4], s2, { mask: { data: [-9e29, -9e29], shape: [1, 1, 1, 2] } })[0]).toBe(3);
  });
  it('sinks[h] = +Infinity gives zeros for that head only', () => {
    const y = referenceGqa([1, 1], [0, 1], [2, 4], { q: [1, 1, 2, 1], k: [1, 2, 1, 1], v: [1, 2, 1, 1] }, { scale: 1, sinks: [Infinity, -Infinity] });
    expect(y[0]).toBe(0);
    expect(y[1]).toBeCloseTo((2 + 4 * Math.E) / (1 + Math.E), 14);
  });
  it('RMSNorm with eps 0 on an all-zero row is NaN (0 / 0); with eps > 0 it is zeros', () => {
    expect(Array.from(referenceRmsnorm([0, 0, 1, 1], [2, 2], [1, 1], { eps: 0 }))).toEqual([NaN, NaN, 1, 1]);
    expect(Array.from(referenceRmsnorm([0, 0], [1, 2], [1, 1], { eps: 1e-6 }))).toEqual([0, 0]);
  });
  it('subnormal inputs read as zero (a backend may flush them)', () => {
    const sub = 1e-39;
    expect(Array.from(referenceRmsnorm([sub, -sub], [2], [1, 1], { eps: 1e-6 }))).toEqual([0, 0]);
    expect(Array.from(referenceAddRmsnorm([sub, 1], [sub, 0], [2], [1, 1], { eps: 0 }).sum)).toEqual([0, 1]);
    expect(referenceGqa([1], [0, 0], [sub, 4], s2)[0]).toBe(2);
    expect(Array.from(referenceRope([sub, 1], [1, 1, 1, 2], { positions: 0 }))).toEqual([0, 1]);
    // The smallest normal float32 is not subnormal.
    expect(referenceRmsnorm([1.1754943508222875e-38, 0], [2], [1, 1], { eps: 0 })[0]).toBeCloseTo(Math.SQRT2, 14);
  });
});

describe('roundToF16', () => {
  it('matches the exact per-value conversion on every kind of value', async () => {
    const { float16BitsToFloat32, float32ToFloat16Bits } = await import('@llama-ops/core');
    const { roundToF16 } = await import('../src/run-case.js');
    const values: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e-8, 6e-5, 6.1e-5, 2 ** -14, 2 ** -24, 2 ** -25, 3e38, Infinity, -Infinity, NaN];
    let seed = 1;
    for (let i = 0; i < 20000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const u = new Uint32Array([seed]);
      values.push(new Float32Array(u.buffer)[0]);
    }
    const data = Float32Array.from(values);
    const got = roundToF16(data);
    for (let i = 0; i < data.length; i++) {
      const want = float16BitsToFloat32(float32ToFloat16Bits(data[i]));
      if (!(Object.is(got[i], want) || (Number.isNaN(got[i]) && Number.isNaN(want)))) throw new Error(`${data[i]}: got ${got[i]}, want ${want}`);
    }
  });
});

describe('Rng', () => {
  it('array(n) gives the values of n calls of next()', async () => {
    const { Rng } = await import('../src/cases/data.js');
    const a = new Rng('same');
    const b = new Rng('same');
    const bulk = a.array(1000, 3);
    for (let i = 0; i < 1000; i++) expect(bulk[i]).toBe(Math.fround(3 * (2 * b.next() - 1)));
    expect(a.next()).toBe(b.next());
  });
});
