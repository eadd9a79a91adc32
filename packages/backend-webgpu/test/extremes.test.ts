/**
 * The edges of f32 (SPEC.md, "Range and special values"; issue #14) on WebGPU, in the
 * `swiftshader` and `lavapipe` projects. Every attention case runs through both kernels: the
 * backend's own choice (split-KV flash decoding for decode-shaped calls, flash attention
 * otherwise) and flash attention forced. Expected values are float64, computed here: where
 * SPEC.md says how an edge reads (mask values <= -1e30 are masked, subnormal inputs may be
 * flushed to zero), the reference gets that input.
 */
import { referenceAddRmsnorm, referenceGqa } from '@llama-ops/conformance/reference';
import { randomArray } from '@llama-ops/conformance/testing';
import { addRmsnorm, createKVCache, gqa, rmsnorm, type Backend, type DType } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackend } from '../src/index.js';

const GQA_TOL = { f32: 1e-4, f16: 5e-3 };
const RMSNORM_TOL = 1e-5;
/** torch.finfo(torch.float32).min, as PyTorch and HF fill masks. */
const FINFO_MIN = -3.4028234663852886e38;
/** The largest finite f32. */
const F32_MAX = 3.4028234663852886e38;
/** Smallest normal f32: below it an input may be read as 0 (SPEC.md). */
const F32_MIN_NORMAL = 2 ** -126;

/** The kit's seeded generator: values uniform in [-scale, scale). */
const random = (n: number, seed = 1, scale = 1): Float32Array => randomArray(n, seed, scale);

/**
 * Largest |actual - expected| / max(1, |scale|) over all elements, where `scale` is the
 * reference itself (RMSNorm) or a constant (GQA: max|v|). NaN counts as the worst error.
 */
function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: ArrayLike<number> | number = expected): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const e = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(s));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** `x` with subnormal f32 values read as zero (what a flushing device sees). */
const flushed = (x: Float32Array): Float32Array => x.map((v) => (Math.abs(v) < F32_MIN_NORMAL ? 0 : v));

const expectF16 = inject('expectF16');

describe('extreme magnitudes on WebGPU', () => {
  let auto: Backend;
  let flash: Backend;
  beforeAll(async () => {
    auto = await createBackend();
    flash = await createBackend({ gqaKernel: 'flash-attention' });
  }, 60_000);
  afterAll(() => {
    auto?.dispose();
    flash?.dispose();
  });

  interface Shape {
    sq: number;
    skv: number;
    hq: number;
    hkv: number;
    d: number;
  }
  interface AttendOptions {
    causal?: boolean;
    softcap?: number;
    mask?: Float32Array;
    sinks?: number[];
    dtype?: DType;
  }

  /**
   * GQA of [1, sq, hq, d] over [1, skv, hkv, d] on both kernels; returns each output (by
   * kernel name) and the float64 reference of the stored (f16-rounded where f16) inputs.
   */
  async function attend(shape: Shape, data: { q: Float32Array; k: Float32Array; v: Float32Array }, opts: AttendOptions = {}) {
    const { sq, skv, hq, hkv, d } = shape;
    const dtype = opts.dtype ?? 'f32';
    const shapes = { q: [1, sq, hq, d], k: [1, skv, hkv, d], v: [1, skv, hkv, d] };
    const outs: Record<string, Float32Array> = {};
    let stored: { q: Float32Array; k: Float32Array; v: Float32Array; mask?: Float32Array; sinks?: Float32Array } | undefined;
    for (const [name, be] of [
      ['auto', auto],
      ['flash-attention', flash],
    ] as const) {
      const t = (x: Float32Array, s: number[]) => be.tensor(x, s, { dtype });
      const q = t(data.q, shapes.q);
      const k = t(data.k, shapes.k);
      const v = t(data.v, shapes.v);
      const mask = opts.mask ? t(opts.mask, [1, 1, sq, skv]) : undefined;
      const sinks = opts.sinks ? t(Float32Array.from(opts.sinks), [hq]) : undefined;
      outs[name] = await gqa(q, k, v, { causal: opts.causal, softcap: opts.softcap, mask, sinks }).read();
      stored ??= { q: await q.read(), k: await k.read(), v: await v.read(), mask: await mask?.read(), sinks: await sinks?.read() };
      for (const x of [q, k, v, mask, sinks]) x?.dispose();
    }
    const s = stored!;
    // SPEC: mask values <= -1e30 count as masked (-Inf).
    const mask = s.mask ? { data: Array.from(s.mask, (m) => (m <= -1e30 ? -Infinity : m)), shape: [1, 1, sq, skv] } : undefined;
    const ref = referenceGqa(s.q, s.k, s.v, shapes, { causal: opts.causal, softcap: opts.softcap, mask, sinks: s.sinks });
    return { outs, ref, stored: s };
  }

  /** Runs `check` on each kernel's output, naming the kernel in a failure. */
  function eachKernel(outs: Record<string, Float32Array>, check: (out: Float32Array) => void): void {
    for (const [name, out] of Object.entries(outs)) {
      try {
        check(out);
      } catch (e) {
        throw new Error(`kernel ${name}: ${(e as Error).message}`);
      }
    }
  }

  describe('gqa (f32)', () => {
    it('q = k = 1e20 (scores 1e40, past f32): no crash, an output of the right size (SPEC leaves its values unspecified)', async () => {
      const n = 1 * 4 * 2 * 8;
      const big = new Float32Array(n).fill(1e20);
      const { outs } = await attend({ sq: 4, skv: 4, hq: 2, hkv: 1, d: 8 }, { q: big, k: big.slice(0, 32), v: random(32, 1) });
      eachKernel(outs, (out) => expect(out.length).toBe(n));
    });

    it.each([
      ['q = k = 1e18, d 16: equal scores of 4e36, the mean of v', 1e18, false, 3],
      ['q = k = 8e18, d 16: scores 2.56e38, representable (though not times log2 e)', 8e18, false, 3],
      ['q, k = 1e18 · u(-1, 1), d 16: scores ~1e36 apart, the top key alone', 1e18, true, 3],
      ['q = k = 8e18, d 16, decode (1 query): scores 2.56e38', 8e18, false, 1],
    ])('%s', async (_name, magnitude, varied, sq) => {
      const [skv, hq, hkv, d] = [6, 4, 2, 16];
      const q = varied ? random(sq * hq * d, 2, magnitude) : new Float32Array(sq * hq * d).fill(magnitude);
      const k = varied ? random(skv * hkv * d, 3, magnitude) : new Float32Array(skv * hkv * d).fill(magnitude);
      const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q, k, v: random(skv * hkv * d, 4) });
      eachKernel(outs, (out) => {
        expect(out.every(Number.isFinite)).toBe(true);
        expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
      });
    });

    it.each([
      ['2 queries', 2],
      ['1 query', 1],
    ])('an additive mask of 3e38 on one key gives that key all the weight, not NaN (%s)', async (_name, sq) => {
      const [skv, hq, hkv, d] = [5, 2, 1, 8];
      const mask = new Float32Array(sq * skv);
      mask[2] = 3e38; // query 0, key 2
      if (sq > 1) mask[skv + 4] = 3e38; // query 1, key 4
      const v = random(skv * d, 5);
      const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 6), k: random(skv * d, 7), v }, { causal: false, mask });
      eachKernel(outs, (out) => {
        expect(out.every(Number.isFinite)).toBe(true);
        expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
        expect(maxRelError(out.slice(0, d), v.slice(2 * d, 3 * d), 1)).toBeLessThanOrEqual(GQA_TOL.f32);
      });
    });

    it('an additive mask of 3e38 on one key over scores of 2.56e38 (q = k = 8e18, d 16)', async () => {
      const [sq, skv, hq, hkv, d] = [2, 5, 2, 1, 16];
      const mask = new Float32Array(sq * skv).fill(-2.56e38); // every other score + mask: ~0
      mask[1] = 3e38 - 2.56e38; // query 0, key 1: score + mask = 3e38
      mask[skv + 3] = 0; // query 1, key 3: 2.56e38
      const big = (n: number) => new Float32Array(n).fill(8e18);
      const v = random(skv * d, 25);
      const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q: big(sq * hq * d), k: big(skv * d), v }, { causal: false, mask });
      eachKernel(outs, (out) => {
        expect(out.every(Number.isFinite)).toBe(true);
        expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
      });
    });

    it.each([
      ['prefill of 40 keys, equal scores, v = 3e38', 40, 4, 8, 0, 3e38],
      ['decode over 300 keys, random scores, d 64, v = 3e38', 300, 1, 64, 1, 3e38],
      ['prefill of 40 keys, equal scores, v = f32 max', 40, 4, 8, 0, F32_MAX],
      ['decode over 300 keys, equal scores, d 64, v = f32 max', 300, 1, 64, 0, F32_MAX],
      ['decode over 300 keys, random scores, d 64, v = -f32 max', 300, 1, 64, 1, -F32_MAX],
    ])('every v equal and huge gives that v, not Infinity (%s)', async (_name, skv, sq, d, qScale, value) => {
      const [hq, hkv] = [8, 2];
      const q = random(sq * hq * d, 8, qScale);
      const k = random(skv * hkv * d, 9);
      const v = new Float32Array(skv * hkv * d).fill(value);
      const { outs } = await attend({ sq, skv, hq, hkv, d }, { q, k, v });
      const want = new Float64Array(outs.auto.length).fill(Math.fround(value));
      eachKernel(outs, (out) => expect(maxRelError(out, want, Math.abs(value))).toBeLessThanOrEqual(GQA_TOL.f32));
    });

    it('every v = 3e38 through a KV cache (prefill, then decode steps) gives 3e38', async () => {
      const [hq, hkv, d, prompt, steps] = [8, 2, 16, 20, 3];
      for (const be of [auto, flash]) {
        const cache = createKVCache(be, { batch: 1, capacity: 64, kvHeads: hkv, headDim: d });
        try {
          const append = (n: number, seed: number) => {
            const k = be.tensor(random(n * hkv * d, seed), [1, n, hkv, d]);
            const v = be.tensor(new Float32Array(n * hkv * d).fill(3e38), [1, n, hkv, d]);
            cache.append(k, v);
            k.dispose();
            v.dispose();
          };
          append(prompt, 30);
          const q0 = be.tensor(random(prompt * hq * d, 31), [1, prompt, hq, d]);
          const first = await gqa(q0, cache.k, cache.v, { kvLength: cache.length }).read();
          expect(maxRelError(first, new Float64Array(first.length).fill(Math.fround(3e38)), 3e38)).toBeLessThanOrEqual(GQA_TOL.f32);
          for (let s = 0; s < steps; s++) {
            append(1, 40 + s);
            const q = be.tensor(random(hq * d, 50 + s), [1, 1, hq, d]);
            const out = await gqa(q, cache.k, cache.v, { kvLength: cache.length }).read();
            expect(maxRelError(out, new Float64Array(out.length).fill(Math.fround(3e38)), 3e38)).toBeLessThanOrEqual(GQA_TOL.f32);
          }
        } finally {
          cache.dispose();
        }
      }
    });

    it.each([
      ['4 queries', 4],
      ['1 query', 1],
    ])(
      'mask values <= -1e30 count as masked: a row whose visible keys all hold finfo.min (or -1e30) outputs zeros; -1e30 masks a key; -9e29 does not (%s)',
      async (_name, sq) => {
        const [skv, hq, hkv, d] = [4, 2, 1, 8];
        const rows = [
          (m: Float32Array, o: number) => m.fill(FINFO_MIN, o, o + skv), // every key
          (m: Float32Array, o: number) => {
            m[o + 1] = -1e30; // key 1 masked
          },
          (m: Float32Array, o: number) => m.fill(-9e29, o, o + skv), // a huge penalty on every key, not a mask
          (m: Float32Array, o: number) => m.fill(-1e30, o, o + skv), // every key, at the threshold
        ];
        // Decode: one query row per case, so each row kind is its own call.
        for (let first = 0; first < rows.length; first += sq) {
          const mask = new Float32Array(sq * skv);
          for (let i = 0; i < sq; i++) rows[first + i](mask, i * skv);
          const { outs, ref } = await attend(
            { sq, skv, hq, hkv, d },
            { q: random(sq * hq * d, 10 + first), k: random(skv * d, 11), v: random(skv * d, 12) },
            { causal: false, mask },
          );
          eachKernel(outs, (out) => {
            for (let i = 0; i < sq; i++) {
              const row = Array.from(out.slice(i * hq * d, (i + 1) * hq * d));
              // Rows 0 and 3 see only masked keys: +0 everywhere; rows 1 and 2 see some.
              if ((first + i) % 3 === 0) expect(row).toEqual(new Array(hq * d).fill(0));
              else expect(row.some((x) => x !== 0)).toBe(true);
            }
            expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
          });
        }
      },
    );

    it.each([
      ['3 queries', 3],
      ['1 query', 1],
    ])('sinks = [+Infinity] gives zeros for that head (all weight on the sink) (%s)', async (_name, sq) => {
      const [skv, hq, hkv, d] = [5, 2, 1, 8];
      const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 13), k: random(skv * d, 14), v: random(skv * d, 15) }, { sinks: [Infinity, 0.5] });
      eachKernel(outs, (out) => {
        for (let i = 0; i < sq; i++) expect(Array.from(out.slice(i * hq * d, i * hq * d + d))).toEqual(new Array(d).fill(0));
        // The float64 reference follows SPEC too (zeros for head 0): compare every head.
        expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
      });
    });

    it.each([1e5, 1e6, 1e8, 30, 0.5])('softcap %s: within 1e-4 of the float64 tanh (small arguments keep their digits)', async (softcap) => {
      for (const sq of [8, 1]) {
        const [skv, hq, hkv, d] = [40, 4, 2, 16];
        const { outs, ref } = await attend(
          { sq, skv, hq, hkv, d },
          { q: random(sq * hq * d, 16, 4), k: random(skv * hkv * d, 17, 4), v: random(skv * hkv * d, 18) },
          { softcap },
        );
        eachKernel(outs, (out) => expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32));
      }
    });

    it.each([1e-46, 5e-324, 1e-40, 1e-20])('softcap %s applies (any cap > 0 does): scores flatten to ~0, the mean of the visible values', async (softcap) => {
      for (const sq of [4, 1]) {
        const [skv, hq, hkv, d] = [9, 2, 1, 8];
        const v = random(skv * d, 19);
        const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 20, 3), k: random(skv * d, 21, 3), v }, { softcap });
        // The last query sees all 9 keys: the plain mean.
        const mean = Array.from({ length: d }, (_, t) => v.filter((_, i) => i % d === t).reduce((a, b) => a + b) / skv);
        eachKernel(outs, (out) => {
          expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
          expect(maxRelError(out.slice((sq - 1) * hq * d, (sq - 1) * hq * d + d), mean, 1)).toBeLessThanOrEqual(GQA_TOL.f32);
        });
      }
    });
  });

  describe('gqa (f16 storage, values that fit f16)', () => {
    if (!expectF16) {
      it.skip('f16 storage: run in the lavapipe project (shader-f16 is not expected on this adapter)', () => {});
      return;
    }
    it('every v = 65504 (f16 max) over 300 keys gives 65504; sinks = [+Infinity] gives zeros; finfo.min masks (-Inf in f16)', async () => {
      const [hq, hkv, d] = [8, 2, 16];
      for (const [skv, sq] of [
        [300, 1],
        [40, 4],
      ]) {
        const v = new Float32Array(skv * hkv * d).fill(65504);
        const { outs } = await attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 8), k: random(skv * hkv * d, 9), v }, { dtype: 'f16' });
        eachKernel(outs, (out) => expect(maxRelError(out, new Float64Array(out.length).fill(65504), 65504)).toBeLessThanOrEqual(GQA_TOL.f16));
      }
      const sinks = await attend({ sq: 3, skv: 5, hq: 2, hkv: 1, d: 8 }, { q: random(48, 13), k: random(40, 14), v: random(40, 15) }, { sinks: [Infinity, 0.5], dtype: 'f16' });
      eachKernel(sinks.outs, (out) => {
        for (let i = 0; i < 3; i++) expect(Array.from(out.slice(i * 16, i * 16 + 8))).toEqual(new Array(8).fill(0));
        expect(maxRelError(out, sinks.ref, 1)).toBeLessThanOrEqual(GQA_TOL.f16);
      });
      const mask = new Float32Array(3 * 4);
      mask.fill(FINFO_MIN, 0, 4);
      mask[5] = FINFO_MIN;
      const masked = await attend({ sq: 3, skv: 4, hq: 2, hkv: 1, d: 8 }, { q: random(48, 10), k: random(32, 11), v: random(32, 12) }, { causal: false, mask, dtype: 'f16' });
      eachKernel(masked.outs, (out) => {
        expect(Array.from(out.slice(0, 16))).toEqual(new Array(16).fill(0));
        expect(maxRelError(out, masked.ref, 1)).toBeLessThanOrEqual(GQA_TOL.f16);
      });
    });

    it.each([1e-46, 1e-40, 1e8])('softcap %s with f16 storage (the cap is an f32 uniform)', async (softcap) => {
      const [sq, skv, hq, hkv, d] = [4, 9, 2, 1, 8];
      const { outs, ref } = await attend({ sq, skv, hq, hkv, d }, { q: random(sq * hq * d, 20, 3), k: random(skv * d, 21, 3), v: random(skv * d, 19) }, { softcap, dtype: 'f16' });
      eachKernel(outs, (out) => expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL.f16));
    });
  });

  describe('rmsnorm and addRmsnorm', () => {
    /** rmsnorm (or addRmsnorm with residual) of x [rows, hidden], weight 1; returns y and the reference. */
    async function norm(x: Float32Array, hidden: number, eps: number, residual?: Float32Array) {
      const rows = x.length / hidden;
      const w = new Float32Array(hidden).fill(1);
      const wt = auto.tensor(w, [hidden]);
      const xt = auto.tensor(x, [rows, hidden]);
      const rt = residual && auto.tensor(residual, [rows, hidden]);
      let y: Float32Array;
      let sum: Float32Array | undefined;
      if (rt) {
        const r = addRmsnorm(xt, rt, wt, { eps });
        y = await r.y.read();
        sum = await r.sum.read();
      } else {
        y = await rmsnorm(xt, wt, { eps }).read();
      }
      const ref = referenceAddRmsnorm(x, residual ?? null, [rows, hidden], w, { eps });
      const refFlushed = referenceAddRmsnorm(flushed(x), residual ? flushed(residual) : null, [rows, hidden], w, { eps });
      // The kit's reference reads subnormal inputs as zero (SPEC lets a device flush them), so
      // `ref` and `refFlushed` agree. A device that keeps them (lavapipe) computes the exact
      // formula: with eps 0 that is the reference of the inputs times 2^64 (exact, no longer
      // subnormal; y is free of scale).
      if (eps === 0 && !residual) return { y, sum, ref: { ...ref, y: referenceAddRmsnorm(x.map((v) => v * 2 ** 64), null, [rows, hidden], w, { eps }).y }, refFlushed };
      return { y, sum, ref, refFlushed };
    }

    it.each([
      [1e-22, 64],
      [1e-22, 4096],
      [1e-23, 64],
      [1e-23, 4096],
      [1e-30, 64],
      [1e-30, 1000],
      [1e-30, 9216],
      [1e-30, 7],
      [1e-37, 64],
    ])('eps 0, rows of %s (hidden %i) give what the float64 formula gives: 1 for a constant row', async (value, hidden) => {
      const constant = new Float32Array(hidden).fill(value);
      const varied = random(hidden, 22, value);
      const x = new Float32Array([...constant, ...varied]);
      const { y, ref, refFlushed } = await norm(x, hidden, 0);
      expect(maxRelError(y.slice(0, hidden), new Float64Array(hidden).fill(1))).toBeLessThanOrEqual(RMSNORM_TOL);
      // The varied row may hold a few subnormals, which a device may read as 0.
      expect(Math.min(maxRelError(y, ref.y), maxRelError(y, refFlushed.y))).toBeLessThanOrEqual(RMSNORM_TOL);
    });

    it('eps 0, a row of subnormals (1e-38): 1 if the device keeps them, NaN (0 / 0) if it flushes them', async () => {
      const hidden = 64;
      const { y } = await norm(new Float32Array(hidden).fill(1e-38), hidden, 0);
      expect(maxRelError(y, new Float64Array(hidden).fill(1)) <= RMSNORM_TOL || y.every(Number.isNaN)).toBe(true);
    });

    it.each([
      ['rmsnorm, hidden 64', 64, false],
      ['rmsnorm, hidden 7 (scalar loads)', 7, false],
      ['rmsnorm, hidden 9216 (streamed row)', 9216, false],
      ['addRmsnorm, hidden 64', 64, true],
      ['addRmsnorm, hidden 7 (scalar loads)', 7, true],
      ['addRmsnorm, hidden 9216 (streamed row)', 9216, true],
    ])('an all-zero row gives NaN with eps 0 (0 / 0) and zeros with eps > 0 (%s)', async (_name, hidden, add) => {
      const x = new Float32Array(2 * hidden);
      x.set(random(hidden, 23), hidden); // a normal second row stays normal
      const residual = add ? new Float32Array(2 * hidden) : undefined;
      const zero = await norm(x, hidden, 0, residual);
      expect(zero.y.slice(0, hidden).every(Number.isNaN)).toBe(true);
      expect(maxRelError(zero.y.slice(hidden), zero.ref.y.slice(hidden))).toBeLessThanOrEqual(RMSNORM_TOL);
      const eps = await norm(x, hidden, 1e-6, residual);
      expect(Array.from(eps.y.slice(0, hidden))).toEqual(new Array(hidden).fill(0));
      if (add) expect(Array.from(eps.sum!)).toEqual(Array.from(x));
    });

    it.each([
      ['rmsnorm, hidden 64', 64, false],
      ['rmsnorm, hidden 7 (scalar loads)', 7, false],
      ['rmsnorm, hidden 9216 (streamed row)', 9216, false],
      ['addRmsnorm, hidden 64', 64, true],
      ['addRmsnorm, hidden 7 (scalar loads)', 7, true],
      ['addRmsnorm, hidden 9216 (streamed row)', 9216, true],
    ])('rows near f32 max (squares overflow) give the exact result (%s)', async (_name, hidden, add) => {
      // Row 0: constant 3e38 (y = 1); row 1: f32 max and values below it; row 2: u(-1, 1) · 3.4e38
      // (addRmsnorm: x = residual = half of those, so the sums are those rows).
      const x = new Float32Array(3 * hidden);
      x.fill(add ? 1.5e38 : 3e38, 0, hidden);
      x.set(random(hidden, 24, add ? 1.7e38 : 3.4e38), hidden);
      x[hidden] = add ? 1.7e38 : F32_MAX;
      x.set(random(hidden, 26, add ? 1.7e38 : 3.4e38), 2 * hidden);
      const residual = add ? Float32Array.from(x) : undefined;
      const { y, sum, ref } = await norm(x, hidden, 1e-6, residual);
      expect(y.every(Number.isFinite)).toBe(true);
      expect(maxRelError(y.slice(0, hidden), new Float64Array(hidden).fill(1))).toBeLessThanOrEqual(RMSNORM_TOL);
      expect(maxRelError(y, ref.y)).toBeLessThanOrEqual(RMSNORM_TOL);
      if (sum) expect(maxRelError(sum, ref.sum, F32_MAX)).toBeLessThanOrEqual(1e-7);
    });
  });
});
