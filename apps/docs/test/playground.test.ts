/**
 * The playground's logic (.vitepress/theme/playground/*.ts), outside the browser: its seeded
 * inputs, RoPE scaling presets, the check against the float64 reference (the conformance
 * kit's measures and tolerances), the timing loop on a fake clock, and each op prepared on
 * the CPU backend.
 */
import { createHash } from 'node:crypto';
import * as core from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';
import * as reference from '@llama-ops/conformance/reference';
import { maxAbsError, Rng, tolerance, worstError } from '@llama-ops/conformance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, errorRatios, summarize } from '../.vitepress/theme/playground/check';
import { gqaPatternV, randn, rmsnormPattern, ropePattern, ropeScaling, SCALING_PRESETS } from '../.vitepress/theme/playground/inputs';
import { defaultOptions, outputShape, prepareOp, type InputKind, type OpName } from '../.vitepress/theme/playground/ops';
import { MAX_CALLS_PER_SAMPLE, measureCalls, MIN_SAMPLE_MS } from '../.vitepress/theme/playground/timing';

const hash = (a: Float32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);

describe('randn', () => {
  it('gives the values the page has always used (Box-Muller over mulberry32)', () => {
    expect(Array.from(randn(4, 1))).toEqual([0.9659740328788757, 1.123104214668274, -0.04922786355018616, -0.1808914989233017]);
    expect(Array.from(randn(3, 7, 0.2))).toEqual([0.551874577999115, -0.013610271736979485, -0.18918979167938232]);
    expect(hash(randn(65536, 1))).toBe('8465e46e6341c12e');
    expect(hash(randn(1024, 2, 0.2))).toBe('32a62e030bcea7fc');
    expect(hash(randn(4096, 5))).toBe('8af280afbcfe26de');
    expect(hash(randn(100003, 3, 2.5))).toBe('f7d99b19da66e505');
  });

  it("draws from the conformance kit's generator: two uniforms of Rng(seed) per value", () => {
    const rng = new Rng(9);
    const u1 = rng.next();
    const u2 = rng.next();
    expect(randn(1, 9)[0]).toBe(Math.fround(Math.sqrt(-2 * Math.log(u1 + 1e-12)) * Math.cos(2 * Math.PI * u2)));
  });

  it('is roughly standard normal, times scale', () => {
    const x = randn(20000, 11, 3);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(sd).toBeGreaterThan(2.8);
    expect(sd).toBeLessThan(3.2);
  });
});

describe('pattern inputs', () => {
  it('rmsnorm: waves whose amplitude grows down the rows', () => {
    const x = rmsnormPattern(4, 8, 2);
    expect(x.length).toBe(32);
    expect(x[0]).toBeCloseTo(2 * 0.2 * 0.3, 6); // scale * (0.2 + 0) * (sin(0) + 0.3)
    const rms = (r: number) => Math.sqrt(x.subarray(r * 8, r * 8 + 8).reduce((a, b) => a + b * b, 0) / 8);
    expect(rms(3)).toBeGreaterThan(rms(0));
  });

  it('rope: each rotated pair starts at (1, 0); dims past rotaryDim are 0.5', () => {
    // half-split pairs (i, i + 2) of rotaryDim 4, headDim 6
    expect(Array.from(ropePattern(1, 1, 6, 4, false))).toEqual([1, 1, 0, 0, 0.5, 0.5]);
    // interleaved pairs (2i, 2i + 1)
    expect(Array.from(ropePattern(1, 1, 6, 4, true))).toEqual([1, 0, 1, 0, 0.5, 0.5]);
    expect(ropePattern(3, 2, 6, 4, false).length).toBe(36);
  });

  it('gqa: V row j is one-hot at j mod headDim, for every KV head', () => {
    const v = gqaPatternV(5, 2, 4);
    const row = (j: number, h: number) => Array.from(v.subarray((j * 2 + h) * 4, (j * 2 + h) * 4 + 4));
    expect(row(0, 0)).toEqual([1, 0, 0, 0]);
    expect(row(1, 1)).toEqual([0, 1, 0, 0]);
    expect(row(4, 0)).toEqual([1, 0, 0, 0]);
  });
});

describe('RoPE scaling presets', () => {
  it('each menu entry is a preset of its type (default: none), labels unique', () => {
    expect(SCALING_PRESETS.map((p) => p.value)).toEqual(['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope']);
    expect(new Set(SCALING_PRESETS.map((p) => p.label)).size).toBe(SCALING_PRESETS.length);
    for (const { value } of SCALING_PRESETS) {
      const s = ropeScaling(value, 128);
      if (value === 'default') expect(s).toBeUndefined();
      else expect(s?.type).toBe(value);
    }
  });

  it('the presets are the ones the labels say', () => {
    expect(ropeScaling('linear', 128)).toEqual({ type: 'linear', factor: 4 });
    expect(ropeScaling('llama3', 128)).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    const long = ropeScaling('longrope', 8);
    expect(long).toMatchObject({ type: 'longrope', originalMaxPositionEmbeddings: 8192, maxPositionEmbeddings: 131072 });
    if (long?.type !== 'longrope') throw new Error('not longrope');
    expect(long.shortFactor).toEqual([1, 1 + 0.5 / 3, 1 + 1 / 3, 1.5]);
    expect(long.longFactor[0]).toBe(1);
    expect(long.longFactor[3]).toBe(8);
    expect(ropeScaling('nonsense', 8)).toBeUndefined();
  });
});

describe('checkOutput', () => {
  const ref = Float64Array.from([0, 2, -4, 10]);
  const bound = (i: number) => 0.1 * Math.max(1, Math.abs(ref[i]));

  it("reports the kit's max absolute error and worst error / bound", () => {
    const y = Float32Array.from([0.05, 2, -4.2, 10.5]);
    const c = checkOutput(y, ref, bound);
    expect(c.maxError).toBe(maxAbsError(y, ref));
    expect(c.maxError).toBeCloseTo(0.5, 6);
    expect(c.worstRatio).toBe(worstError(y, ref, bound).error);
    expect(c.worstRatio).toBeCloseTo(0.5, 6);
    expect(c.pass).toBe(true);
    expect(checkOutput(Float32Array.from([0.2, 2, -4, 10]), ref, bound)).toMatchObject({ pass: false });
  });

  it('counts a stray NaN or Inf as out of bound, a NaN or infinity the reference has as exact', () => {
    expect(checkOutput(Float32Array.from([NaN, 2, -4, 10]), ref, bound)).toMatchObject({ maxError: Infinity, worstRatio: Infinity, pass: false });
    expect(checkOutput(Float32Array.from([0, Infinity, -4, 10]), ref, bound).pass).toBe(false);
    const special = Float64Array.from([NaN, Infinity, 1]);
    expect(checkOutput(Float32Array.from([NaN, Infinity, 1]), special, () => 1)).toEqual({ maxError: 0, worstRatio: 0, pass: true });
  });

  it('errorRatios: per element, the quantity whose maximum is worstRatio', () => {
    const y = Float32Array.from([0.05, NaN, -4.2, 10]);
    const r = errorRatios(y, ref, bound);
    expect(r[0]).toBeCloseTo(0.5, 6);
    expect(r[1]).toBe(Infinity);
    expect(r[2]).toBeCloseTo(0.5, 6);
    expect(r[3]).toBe(0);
    expect(Math.max(...r)).toBe(checkOutput(y, ref, bound).worstRatio);
  });

  it('summarize: min, max, mean and the first six values', () => {
    const s = summarize(Float32Array.from([3, -1, 2, 0, 4, 1, 7]));
    expect(s).toEqual({ min: -1, max: 7, mean: 16 / 7, first: [3, -1, 2, 0, 4, 1] });
  });
});

describe('measureCalls', () => {
  /** A clock that only moves when a call runs: each call takes `callMs`. */
  function fake(callMs: number) {
    let t = 0;
    let calls = 0;
    return {
      now: () => t,
      call: async () => {
        t += callMs;
        calls++;
      },
      calls: () => calls,
    };
  }

  it('times enough calls per sample to last MIN_SAMPLE_MS; the per-call time is the mean', async () => {
    const f = fake(0.004);
    const t = await measureCalls(f.call, f.now);
    expect(t.sampleMs).toBeGreaterThanOrEqual(MIN_SAMPLE_MS);
    expect(t.medianMs).toBeCloseTo(0.004, 9);
    expect(t.medianMs * t.callsPerSample).toBeCloseTo(t.sampleMs, 9);
    expect(t.samples).toBeGreaterThanOrEqual(3);
    expect(t.samples).toBeLessThanOrEqual(9);
  });

  it('one call per sample when a call is slower than the minimum', async () => {
    const f = fake(25);
    const t = await measureCalls(f.call, f.now);
    expect(t).toMatchObject({ callsPerSample: 1, sampleMs: 25, medianMs: 25 });
  });

  it('stops at MAX_CALLS_PER_SAMPLE when a call takes no measurable time', async () => {
    const f = fake(0);
    const t = await measureCalls(f.call, f.now);
    expect(t.callsPerSample).toBe(MAX_CALLS_PER_SAMPLE);
  });
});

describe('prepareOp on the CPU backend', () => {
  let be: core.Backend;
  beforeAll(async () => {
    be = await createBackend();
  });
  afterAll(() => be.dispose());

  for (const op of ['rmsnorm', 'rope', 'gqa'] as const satisfies readonly OpName[]) {
    for (const inputs of ['pattern', 'random'] as const satisfies readonly InputKind[]) {
      it(`${op}, ${inputs} inputs: within the kit's tolerance of the float64 reference`, async () => {
        const opts = defaultOptions();
        // Smaller than the page's defaults, with the options the e2e test sets.
        opts.rmsnorm = { ...opts.rmsnorm, rows: 8, hidden: 256, residual: inputs === 'random' };
        opts.rope = { ...opts.rope, seq: 16, heads: 2, start: 100000 };
        opts.gqa = { ...opts.gqa, seqQ: 8, seqKV: 32, kvLength: 32, window: 24, sink: true };
        const p = prepareOp(be, core, reference, { op, dtype: 'f32', inputs, opts });
        try {
          const out = p.run();
          expect(out.shape).toEqual(outputShape(op, opts));
          const y = await out.read();
          out.dispose();
          const ref = p.reference();
          const c = checkOutput(y, ref, p.bound(ref));
          expect(c.pass).toBe(true);
          expect(Number.isFinite(c.maxError)).toBe(true);
          expect(p.tolerance.startsWith(`${tolerance(op, 'f32')} · max(1, `)).toBe(true);
          expect(p.view.rows * p.view.cols).toBeGreaterThan(0);
        } finally {
          for (const t of p.inputs) t.dispose();
        }
      });
    }
  }

  it('the bound of each op is its SPEC.md scale times the kit tolerance', () => {
    const opts = defaultOptions();
    opts.rmsnorm = { ...opts.rmsnorm, rows: 2, hidden: 4 };
    const p = prepareOp(be, core, reference, { op: 'rmsnorm', dtype: 'f32', inputs: 'pattern', opts });
    const ref = Float64Array.from([0.5, -3, 0, 2, 0, 0, 0, 0]);
    expect(p.bound(ref)(0)).toBe(tolerance('rmsnorm'));
    expect(p.bound(ref)(1)).toBe(3 * tolerance('rmsnorm'));
    for (const t of p.inputs) t.dispose();
  });
});
