/**
 * The edges of f32 (SPEC.md, "Range and special values"; issue #14), on 1 thread and on 2
 * with every kernel on the pool. Expected values are float64, computed here: where SPEC.md
 * says how an edge reads (mask values <= -1e30 are masked), the reference gets that input.
 */
import { referenceGqa, referenceRmsnorm } from '@llama-ops/conformance/reference';
import { gqa, rmsnorm, type Backend } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError, random } from './util.js';

const GQA_TOL = 1e-4;
const RMSNORM_TOL = 1e-5;
/** torch.finfo(torch.float32).min, as PyTorch and HF fill masks. */
const FINFO_MIN = -3.4028234663852886e38;

describe.each([
  ['1 thread', 1],
  ['2 threads, every kernel on the pool', 2],
])('extreme magnitudes on wasm (%s)', (_name, threads) => {
  let be: Backend;
  beforeAll(async () => {
    be = await createBackend({ threads, minParallelWork: 0 });
  });
  afterAll(() => be.dispose());

  /** GQA of [1, sq, hq, d] over [1, skv, hkv, d] with the given data; returns output and reference. */
  function attend(
    shape: { sq: number; skv: number; hq: number; hkv: number; d: number },
    data: { q: Float32Array; k: Float32Array; v: Float32Array },
    opts: { causal?: boolean; softcap?: number; mask?: Float32Array; sinks?: number[] } = {},
  ) {
    const { sq, skv, hq, hkv, d } = shape;
    const shapes = { q: [1, sq, hq, d], k: [1, skv, hkv, d], v: [1, skv, hkv, d] };
    const out = gqa(be.tensor(data.q, shapes.q), be.tensor(data.k, shapes.k), be.tensor(data.v, shapes.v), {
      causal: opts.causal,
      softcap: opts.softcap,
      mask: opts.mask ? be.tensor(opts.mask, [1, 1, sq, skv]) : undefined,
      sinks: opts.sinks ? be.tensor(Float32Array.from(opts.sinks), [hq]) : undefined,
    }).readSync!();
    // SPEC: mask values <= -1e30 count as masked.
    const mask = opts.mask ? { data: Array.from(opts.mask, (m) => (m <= -1e30 ? -Infinity : m)), shape: [1, 1, sq, skv] } : undefined;
    const ref = referenceGqa(data.q, data.k, data.v, shapes, { causal: opts.causal, softcap: opts.softcap, mask, sinks: opts.sinks });
    return { out, ref };
  }

  describe('gqa', () => {
    it('q = k = 1e20 (scores 1e40, past f32): no crash, an output of the right size (SPEC leaves its values unspecified)', () => {
      const n = 1 * 4 * 2 * 8;
      const big = new Float32Array(n).fill(1e20);
      const { out } = attend({ sq: 4, skv: 4, hq: 2, hkv: 1, d: 8 }, { q: big, k: big.slice(0, 32), v: random(32, 1) });
      expect(out.length).toBe(n);
    });

    it.each([
      ['q = k = 1e18, d 16: equal scores of 4e36, the mean of v', 1e18, false],
      ['q = k = 8e18, d 16: scores 2.56e38, representable (though not times log2 e)', 8e18, false],
      ['q, k = 1e18 · u(-1, 1), d 16: scores ~1e36 apart, the top key alone', 1e18, true],
    ])('%s', (_name, magnitude, varied) => {
      const [sq, skv, hq, hkv, d] = [3, 6, 4, 2, 16];
      const q = varied ? random(sq * hq * d, 2, magnitude) : new Float32Array(sq * hq * d).fill(magnitude);
      const k = varied ? random(skv * hkv * d, 3, magnitude) : new Float32Array(skv * hkv * d).fill(magnitude);
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q, k, v: random(skv * hkv * d, 4) });
      expect(out.every(Number.isFinite)).toBe(true);
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it('an additive mask of 3e38 on one key gives that key all the weight, not NaN', () => {
      const [sq, skv, hq, hkv, d] = [2, 5, 2, 1, 8];
      const mask = new Float32Array(sq * skv);
      mask[2] = 3e38; // query 0, key 2
      mask[skv + 4] = 3e38; // query 1, key 4
      const v = random(skv * d, 5);
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 6), k: random(skv * d, 7), v }, { causal: false, mask });
      expect(out.every(Number.isFinite)).toBe(true);
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
      expect(maxRelError(out.slice(0, d), v.slice(2 * d, 3 * d), 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it.each([
      ['prefill of 40 keys, equal scores', 40, 4, 8, 0],
      ['decode over 300 keys, random scores, d 64', 300, 1, 64, 1],
    ])('every v = 3e38 gives 3e38, not Infinity (%s)', (_name, skv, sq, d, qScale) => {
      const [hq, hkv] = [8, 2];
      const q = random(sq * hq * d, 8, qScale);
      const k = random(skv * hkv * d, 9);
      const v = new Float32Array(skv * hkv * d).fill(3e38);
      const { out } = attend({ sq, skv, hq, hkv, d }, { q, k, v });
      expect(maxRelError(out, new Float64Array(out.length).fill(Math.fround(3e38)), 3e38)).toBeLessThanOrEqual(GQA_TOL);
    });

    it('mask values <= -1e30 count as masked: a row whose visible keys all hold finfo.min outputs zeros; -1e30 masks a key; -9e29 does not', () => {
      const [sq, skv, hq, hkv, d] = [3, 4, 2, 1, 8];
      const mask = new Float32Array(sq * skv);
      mask.fill(FINFO_MIN, 0, skv); // query 0: every key
      mask[skv + 1] = -1e30; // query 1: key 1 masked
      mask.fill(-9e29, 2 * skv, 3 * skv); // query 2: a huge penalty on every key, not a mask
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 10), k: random(skv * d, 11), v: random(skv * d, 12) }, { causal: false, mask });
      expect(Array.from(out.slice(0, hq * d))).toEqual(new Array(hq * d).fill(0));
      expect(out.slice(hq * d).some((x) => x !== 0)).toBe(true);
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it('sinks = [+Infinity] gives zeros for that head (all weight on the sink)', () => {
      const [sq, skv, hq, hkv, d] = [3, 5, 2, 1, 8];
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 13), k: random(skv * d, 14), v: random(skv * d, 15) }, { sinks: [Infinity, 0.5] });
      for (let i = 0; i < sq; i++) expect(Array.from(out.slice(i * hq * d, i * hq * d + d))).toEqual(new Array(d).fill(0));
      expect(maxRelError(out.filter((_, i) => i % (hq * d) >= d), ref.filter((_, i) => i % (hq * d) >= d), 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it.each([1e5, 1e6, 1e8, 30, 0.5])('softcap %s: within 1e-4 of the float64 tanh (small arguments keep their digits)', (softcap) => {
      const [sq, skv, hq, hkv, d] = [8, 40, 4, 2, 16];
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 16, 4), k: random(skv * hkv * d, 17, 4), v: random(skv * hkv * d, 18) }, { softcap });
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it.each([1e-46, 1e-40, 1e-20])('softcap %s applies (any cap > 0 does): scores flatten to ~0, the mean of the visible values', (softcap) => {
      const [sq, skv, hq, hkv, d] = [4, 9, 2, 1, 8];
      const v = random(skv * d, 19);
      const { out, ref } = attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 20, 3), k: random(skv * d, 21, 3), v }, { softcap });
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
      // The last query sees all 9 keys: the plain mean.
      const mean = Array.from({ length: d }, (_, t) => v.filter((_, i) => i % d === t).reduce((a, b) => a + b) / skv);
      expect(maxRelError(out.slice(3 * hq * d, 3 * hq * d + d), mean, 1)).toBeLessThanOrEqual(GQA_TOL);
    });
  });

  describe('rmsnorm with eps 0', () => {
    it.each([
      [1e-22, 64],
      [1e-22, 4096],
      [1e-23, 64],
      [1e-23, 4096],
      [1e-30, 64],
      [1e-30, 1000],
      [1e-38, 64],
    ])('rows of %s (hidden %i) give exactly what the float64 formula gives: 1 for a constant row', (value, hidden) => {
      const w = new Float32Array(hidden).fill(1);
      const constant = new Float32Array(hidden).fill(value);
      const varied = random(hidden, 22, value);
      const x = new Float32Array([...constant, ...varied]);
      const y = rmsnorm(be.tensor(x, [2, hidden]), be.tensor(w, [hidden]), { eps: 0 }).readSync!();
      expect(Array.from(y.slice(0, hidden))).toEqual(new Array(hidden).fill(1));
      // wasm keeps subnormal inputs (1e-38 rows hold many); the kit's reference reads them as
      // zero (SPEC lets a device flush them). With eps 0 the exact formula is free of scale:
      // the reference of the inputs times 2^64 (exact, none subnormal) is what wasm computes.
      const scaled = x.map((v) => v * 2 ** 64);
      expect(maxRelError(y, referenceRmsnorm(scaled, [2, hidden], w, { eps: 0 }))).toBeLessThanOrEqual(RMSNORM_TOL);
    });

    it('an all-zero row gives NaN with eps 0 (0 / 0) and zeros with eps > 0', () => {
      const hidden = 64;
      const x = be.tensor(new Float32Array(hidden), [1, hidden]);
      const w = be.tensor(new Float32Array(hidden).fill(1), [hidden]);
      expect(rmsnorm(x, w, { eps: 0 }).readSync!().every(Number.isNaN)).toBe(true);
      expect(Array.from(rmsnorm(x, w, { eps: 1e-6 }).readSync!())).toEqual(new Array(hidden).fill(0));
    });
  });
});
