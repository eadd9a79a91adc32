import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Array, toFloat16Array } from '../src/index.js';

describe('float16 conversion', () => {
  it('round-trips exactly representable values', () => {
    const values = [0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1.5, 1025];
    expect(Array.from(fromFloat16Array(toFloat16Array(Float32Array.from(values))))).toEqual(values);
  });
  it('rounds to nearest even, overflows to Inf, keeps NaN and signed zero', () => {
    expect(float16BitsToFloat32(float32ToFloat16Bits(1 + 2 ** -11))).toBe(1); // tie -> even
    expect(float16BitsToFloat32(float32ToFloat16Bits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie -> even (up)
    expect(float16BitsToFloat32(float32ToFloat16Bits(70000))).toBe(Infinity);
    expect(float16BitsToFloat32(float32ToFloat16Bits(-Infinity))).toBe(-Infinity);
    expect(float16BitsToFloat32(float32ToFloat16Bits(NaN))).toBeNaN();
    expect(Object.is(float16BitsToFloat32(float32ToFloat16Bits(-0)), -0)).toBe(true);
    expect(float16BitsToFloat32(float32ToFloat16Bits(2 ** -26))).toBe(0);
    expect(float16BitsToFloat32(float32ToFloat16Bits(3 * 2 ** -25))).toBe(2 ** -23); // subnormal tie -> even
  });
  it('has a relative error of at most 2^-11 in the normal range', () => {
    for (let i = 0; i < 1000; i++) {
      const x = (Math.random() - 0.5) * 1000;
      const y = float16BitsToFloat32(float32ToFloat16Bits(x));
      expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25);
    }
  });
  it('the array conversions agree with the per-value ones on every f16 pattern and on random f32 bits', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const wide = fromFloat16Array(all);
    for (let b = 0; b < 65536; b++) {
      const want = float16BitsToFloat32(b);
      if (!(Object.is(wide[b], want) || (Number.isNaN(wide[b]) && Number.isNaN(want)))) throw new Error(`bits ${b}: ${wide[b]} != ${want}`);
    }
    const u = new Uint32Array(200000);
    let seed = 7;
    for (let i = 0; i < u.length; i++) u[i] = seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const f = new Float32Array(u.buffer);
    const narrow = toFloat16Array(f);
    for (let i = 0; i < f.length; i++) {
      const want = float32ToFloat16Bits(f[i]);
      const bothNaN = (narrow[i] & 0x7c00) === 0x7c00 && (narrow[i] & 0x3ff) !== 0 && Number.isNaN(f[i]);
      if (narrow[i] !== want && !bothNaN) throw new Error(`${f[i]}: ${narrow[i]} != ${want}`);
    }
    const into = new Uint16Array(3);
    expect(toFloat16Array(Float32Array.from([1, 2, 3]), into)).toBe(into);
    const back = new Float32Array(3);
    expect(Array.from(fromFloat16Array(into, back))).toEqual([1, 2, 3]);
  });
});
