/**
 * Kernel tests against the float64 reference, run by every GPU project (Dawn on
 * SwiftShader, Dawn on lavapipe with f16, headless Chromium). Each case names the option it
 * exercises; tolerances are SPEC.md's.
 */
import { addRmsnorm, createKVCache, gqa, rmsnorm, rope, UnsupportedError, type Backend, type DType } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, timeGpu, webgpuKernelsOf, type WebGpuBackendOptions } from '../src/index.js';
import { gqaRef, maxRelError, randn, rmsnormRef, ropeRef, TOL, type GqaRefArgs } from './reference.js';

export interface SuiteOptions {
  /** The project promises shader-f16 (lavapipe): f16 must then be offered, not skipped. */
  expectF16: boolean;
}

/** f16 storage rounds inputs: references are computed from the rounded inputs. */
async function stored(be: Backend, data: Float32Array, shape: number[], dtype: DType) {
  const t = be.tensor(data, shape, { dtype });
  return { t, values: dtype === 'f32' ? data : await t.read() };
}

export function kernelSuite(opts: SuiteOptions): void {
  let be: Backend;
  let beFlash: Backend;
  const dtypes: DType[] = [];

  beforeAll(async () => {
    be = await createBackend();
    beFlash = await createBackend({ gqaKernel: 'flash-attention' } satisfies WebGpuBackendOptions);
    dtypes.push(...be.capabilities.dtypes);
  }, 60_000);
  afterAll(() => {
    be?.dispose();
    beFlash?.dispose();
  });

  it('reports adapter, features, limits and dtypes', () => {
    const c = be.capabilities;
    expect(c.dtypes).toContain('f32');
    expect(c.lost).toBe(false);
    expect(c.limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    if (opts.expectF16) {
      expect(c.features).toContain('shader-f16');
      expect(c.dtypes).toContain('f16');
    }
    expect(c.dtypes.includes('f16')).toBe(c.features?.includes('shader-f16') ?? false);
  });

  it('reports capabilities.software on a software adapter (every GPU project runs on SwiftShader or lavapipe)', () => {
    expect(be.capabilities.software, JSON.stringify(be.capabilities.adapter)).toBe(true);
  });

  describe.each(['f32', 'f16'] as DType[])('%s storage', (dtype) => {
    if (dtype === 'f16' && !opts.expectF16) {
      // Report the f16 tests as skipped (with the reason), never as vacuous passes.
      it.skip('f16 storage: run in the lavapipe project (shader-f16 is not expected on this adapter)', () => {});
      return;
    }
    // Where f16 is expected, the capabilities test above fails if it is missing.
    const skip = () => !dtypes.includes(dtype);
    const tol = TOL[dtype];

    it.each([
      ['vec4 loads, row in registers', 3, 4096],
      ['scalar loads (hidden % 4 != 0)', 5, 7],
      ['streamed row (hidden 9216)', 2, 9216],
      ['single element rows', 4, 1],
    ])('rmsnorm: %s', async (_name, rows, hidden) => {
      if (skip()) return;
      const x = await stored(be, randn(rows * hidden, 1 + hidden, 3), [rows, hidden], dtype);
      const w = await stored(be, randn(hidden, 2), [hidden], dtype);
      const r = await stored(be, randn(rows * hidden, 3 + hidden), [rows, hidden], dtype);
      const y = await rmsnorm(x.t, w.t, { eps: 1e-5, weightOffset: 1, residual: r.t }).read();
      const ref = rmsnormRef(x.values, w.values, hidden, 1e-5, 1, r.values);
      expect(maxRelError(y, ref.y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      const plain = await rmsnorm(x.t, w.t).read();
      expect(maxRelError(plain, rmsnormRef(x.values, w.values, hidden, 1e-6, 0).y).worst).toBeLessThanOrEqual(tol.rmsnorm);
    });

    it('addRmsnorm returns y and the sum x + residual', async () => {
      if (skip()) return;
      const hidden = 64;
      const x = await stored(be, randn(3 * hidden, 11), [3, hidden], dtype);
      const r = await stored(be, randn(3 * hidden, 12), [3, hidden], dtype);
      const w = await stored(be, randn(hidden, 13), [hidden], dtype);
      const { y, sum } = addRmsnorm(x.t, r.t, w.t, { eps: 1e-6 });
      const ref = rmsnormRef(x.values, w.values, hidden, 1e-6, 0, r.values);
      expect(maxRelError(await y.read(), ref.y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      expect(maxRelError(await sum.read(), ref.h).worst).toBeLessThanOrEqual(dtype === 'f16' ? 1e-3 : 1e-7);
    });

    // f16 cannot hold 1e18: an f32-only test.
    it.skipIf(dtype === 'f16')('rmsnorm does not overflow for |h| up to 1e18 (f32) and keeps tiny rows with eps = 0', async () => {
      if (skip()) return;
      const hidden = 4096;
      const big = randn(hidden, 21).map((v) => v * 1e18);
      const w = be.tensor(new Float32Array(hidden).fill(1), [hidden]);
      const y = await rmsnorm(be.tensor(big, [1, hidden]), w).read();
      expect(y.every(Number.isFinite)).toBe(true);
      expect(maxRelError(y, rmsnormRef(big, new Float32Array(hidden).fill(1), hidden, 1e-6, 0).y).worst).toBeLessThanOrEqual(1e-5);
      const tiny = randn(hidden, 22).map((v) => v * 1e-30);
      const yt = await rmsnorm(be.tensor(tiny, [1, hidden]), w, { eps: 0 }).read();
      expect(maxRelError(yt, rmsnormRef(tiny, new Float32Array(hidden).fill(1), hidden, 0, 0).y).worst).toBeLessThanOrEqual(1e-5);
    });

    it.each([
      ['rotate_half, full rotary', false, 64, 64],
      ['interleaved, full rotary', true, 64, 64],
      ['rotate_half, partial rotary with odd tail', false, 10, 4],
      ['interleaved, partial rotary', true, 96, 32],
    ])('rope: %s', async (_name, interleaved, headDim, rotaryDim) => {
      if (skip()) return;
      const shape: [number, number, number, number] = [2, 5, 3, headDim];
      const x = await stored(be, randn(2 * 5 * 3 * headDim, 31 + headDim), shape, dtype);
      const y = await rope(x.t, { positions: 7, theta: 10000, rotaryDim, interleaved }).read();
      const ref = ropeRef(x.values, shape, (_b, s) => 7 + s, 10000, rotaryDim, interleaved);
      expect(maxRelError(y, ref, (i) => Math.max(1, Math.abs(x.values[i]))).worst).toBeLessThanOrEqual(tol.rope);
      // In place gives the same values, with the tail untouched.
      const inPlace = rope(x.t, { positions: 7, rotaryDim, interleaved, inPlace: true });
      expect(inPlace).toBe(x.t);
      expect(maxRelError(await x.t.read(), ref, (i) => Math.max(1, Math.abs(x.values[i]))).worst).toBeLessThanOrEqual(tol.rope);
    });

    it('rope: explicit positions up to 2^20 use the float64 table', async () => {
      if (skip()) return;
      const shape: [number, number, number, number] = [2, 3, 2, 16];
      const positions = Int32Array.from([0, 131072, 1048575, 5, 999999, 65536]);
      const x = await stored(be, randn(2 * 3 * 2 * 16, 41), shape, dtype);
      const y = await rope(x.t, { positions }).read();
      const ref = ropeRef(x.values, shape, (b, s) => positions[b * 3 + s], 10000, 16, false);
      expect(maxRelError(y, ref, (i) => Math.max(1, Math.abs(x.values[i]))).worst).toBeLessThanOrEqual(tol.rope);
    });

    const gqaCases: Array<[string, Partial<GqaRefArgs> & { batch: number; seqQ: number; seqKV: number; hq: number; hkv: number; d: number; dv: number }]> = [
      ['prefill, causal, GQA 8/2, d 64', { batch: 1, seqQ: 37, seqKV: 37, hq: 8, hkv: 2, d: 64, dv: 64 }],
      ['decode, ragged kvLength per batch', { batch: 2, seqQ: 1, seqKV: 300, hq: 8, hkv: 2, d: 32, dv: 32, kvLength: [300, 129] }],
      ['speculative block at the end of a cache', { batch: 1, seqQ: 4, seqKV: 50, hq: 4, hkv: 2, d: 16, dv: 16, kvLength: [45] }],
      ['sliding window', { batch: 1, seqQ: 20, seqKV: 40, hq: 4, hkv: 1, d: 16, dv: 16, window: 7 }],
      ['softcap', { batch: 1, seqQ: 9, seqKV: 9, hq: 2, hkv: 2, d: 16, dv: 16, softcap: 0.5, scale: 2 }],
      ['sinks', { batch: 1, seqQ: 1, seqKV: 33, hq: 4, hkv: 2, d: 8, dv: 8 }],
      ['additive mask broadcast over batch and heads', { batch: 2, seqQ: 5, seqKV: 12, hq: 4, hkv: 2, d: 8, dv: 8, causal: false }],
      ['dv != d, odd head dims', { batch: 1, seqQ: 6, seqKV: 11, hq: 3, hkv: 1, d: 7, dv: 5 }],
      ['head dim 6', { batch: 1, seqQ: 3, seqKV: 10, hq: 2, hkv: 1, d: 6, dv: 6, kvLength: [8] }],
      ['head dim 256', { batch: 1, seqQ: 3, seqKV: 40, hq: 2, hkv: 1, d: 256, dv: 256 }],
      ['MQA with 16 query heads (decode)', { batch: 1, seqQ: 1, seqKV: 70, hq: 16, hkv: 1, d: 16, dv: 16 }],
      ['rows with nothing visible give zeros', { batch: 1, seqQ: 4, seqKV: 10, hq: 2, hkv: 1, d: 8, dv: 8, queryOffset: [-2] }],
      // Scores that climb 0.75 per key (past the flash kernel's rescale threshold of 8 after
      // ~11 keys), jump to 150 at key 30 (exp(150 - m) overflows f32 unless rescaled), then
      // fall: every lazy-rescale path of the online softmax.
      ['scores climbing past the running max', { batch: 1, seqQ: 2, seqKV: 45, hq: 2, hkv: 1, d: 4, dv: 4, scale: 1, causal: false }],
      ['non-causal with queryOffset', { batch: 1, seqQ: 5, seqKV: 16, hq: 2, hkv: 2, d: 8, dv: 8, causal: false, kvLength: [13] }],
    ];

    it.each(gqaCases)('gqa: %s', async (name, c) => {
      if (skip()) return;
      const qn = c.batch * c.seqQ * c.hq * c.d;
      const kn = c.batch * c.seqKV * c.hkv * c.d;
      const vn = c.batch * c.seqKV * c.hkv * c.dv;
      const kData = randn(kn, 52, 2);
      const vData = randn(vn, 53, 3);
      // A preallocated cache holds NaN garbage past kvLength: it must never leak.
      if (c.kvLength) {
        for (let b = 0; b < c.batch; b++)
          for (let j = c.kvLength[b]; j < c.seqKV; j++) {
            kData.fill(NaN, (b * c.seqKV + j) * c.hkv * c.d, (b * c.seqKV + j + 1) * c.hkv * c.d);
            vData.fill(NaN, (b * c.seqKV + j) * c.hkv * c.dv, (b * c.seqKV + j + 1) * c.hkv * c.dv);
          }
      }
      const qData = randn(qn, 51);
      if (name.startsWith('scores climbing')) {
        // q = (1, 0, 0, 0) for every row; key j's first element is its score.
        qData.fill(0);
        for (let r = 0; r < qn; r += c.d) qData[r] = 1;
        kData.fill(0);
        for (let j = 0; j < c.seqKV; j++) kData[j * c.d] = j < 30 ? 0.75 * j : j === 30 ? 150 : 148 - (j - 31);
      }
      const q = await stored(be, qData, [c.batch, c.seqQ, c.hq, c.d], dtype);
      const k = await stored(be, kData, [c.batch, c.seqKV, c.hkv, c.d], dtype);
      const v = await stored(be, vData, [c.batch, c.seqKV, c.hkv, c.dv], dtype);
      const args: GqaRefArgs = { ...c, q: q.values, k: k.values, v: v.values };
      const options: Parameters<typeof gqa>[3] = {
        scale: c.scale,
        causal: c.causal,
        kvLength: c.kvLength,
        queryOffset: c.queryOffset,
        window: c.window,
        softcap: c.softcap,
      };
      if (name.startsWith('sinks')) {
        const s = await stored(be, Float32Array.from({ length: c.hq }, (_, i) => i - 1.5), [c.hq], dtype);
        args.sinks = s.values;
        options.sinks = s.t;
      }
      if (name.startsWith('additive mask')) {
        const data = randn(c.seqQ * c.seqKV, 54, 2);
        data[3] = -Infinity;
        for (let j = 0; j < c.seqKV; j++) data[2 * c.seqKV + j] = -Infinity; // row 2 sees nothing
        const m = await stored(be, data, [1, 1, c.seqQ, c.seqKV], dtype);
        args.mask = { data: m.values, mb: 1, mh: 1 };
        options.mask = m.t;
      }
      const ref = gqaRef(args);
      const maxV = Math.max(1, ...Array.from(v.values).filter(Number.isFinite).map(Math.abs));
      for (const backend of [be, beFlash]) {
        const qq = backend === be ? q.t : backend.tensor(q.values, q.t.shape, { dtype });
        const kk = backend === be ? k.t : backend.tensor(k.values, k.t.shape, { dtype });
        const vv = backend === be ? v.t : backend.tensor(v.values, v.t.shape, { dtype });
        const o = { ...options };
        if (o.sinks && backend !== be) o.sinks = backend.tensor(await o.sinks.read(), o.sinks.shape, { dtype });
        if (o.mask && backend !== be) o.mask = backend.tensor(await o.mask.read(), o.mask.shape, { dtype });
        const y = await gqa(qq, kk, vv, o).read();
        expect(y.every(Number.isFinite)).toBe(true);
        const err = maxRelError(y, ref, () => maxV);
        expect(err.worst, `${webgpuKernelsOf(backend)?.gqaKernel}: ${JSON.stringify(err)}`).toBeLessThanOrEqual(tol.gqa);
      }
      if (name.startsWith('rows with nothing')) {
        const y = await gqa(q.t, k.t, v.t, options).read();
        expect(Array.from(y.subarray(0, 2 * c.hq * c.dv)).every((e) => e === 0)).toBe(true);
      }
    });

    it('KV cache append (copy) at odd offsets', async () => {
      if (skip()) return;
      const cache = createKVCache(be, { batch: 2, capacity: 9, kvHeads: 1, headDim: 3, dtype });
      const k1 = await stored(be, randn(2 * 3 * 3, 61), [2, 3, 1, 3], dtype);
      const v1 = await stored(be, randn(2 * 3 * 3, 62), [2, 3, 1, 3], dtype);
      const k2 = await stored(be, randn(2 * 1 * 3, 63), [2, 1, 1, 3], dtype);
      const v2 = await stored(be, randn(2 * 1 * 3, 64), [2, 1, 1, 3], dtype);
      cache.append(k1.t, v1.t);
      cache.append(k2.t, v2.t);
      const kAll = await cache.k.read();
      for (let b = 0; b < 2; b++) {
        expect(Array.from(kAll.subarray(b * 27, b * 27 + 9))).toEqual(Array.from(k1.values.subarray(b * 9, b * 9 + 9)));
        expect(Array.from(kAll.subarray(b * 27 + 9, b * 27 + 12))).toEqual(Array.from(k2.values.subarray(b * 3, b * 3 + 3)));
        expect(Array.from(kAll.subarray(b * 27 + 12, b * 27 + 27)).every((e) => e === 0)).toBe(true);
      }
      const q = await stored(be, randn(2 * 2 * 3, 65), [2, 1, 2, 3], dtype);
      const y = await gqa(q.t, cache.k, cache.v, { kvLength: cache.length }).read();
      const vAll = await cache.v.read();
      const ref = gqaRef({ q: q.values, k: kAll, v: vAll, batch: 2, seqQ: 1, seqKV: 9, hq: 2, hkv: 1, d: 3, dv: 3, kvLength: [4, 4] });
      expect(maxRelError(y, ref).worst).toBeLessThanOrEqual(tol.gqa);
    });
  });

  it('compiles each pipeline once (no per-call shader compilation)', async () => {
    const k = webgpuKernelsOf(be)!;
    const x = be.tensor(randn(2 * 64, 71), [2, 64]);
    const w = be.tensor(randn(64, 72), [64]);
    rmsnorm(x, w);
    const before = k.ctx.pipelinesCompiled;
    for (let i = 0; i < 5; i++) rmsnorm(x, w, { eps: i * 1e-3 }).dispose();
    await be.sync();
    expect(k.ctx.pipelinesCompiled).toBe(before);
  });

  it('pools buffers: freed tensors are reused, bytes used are tracked', async () => {
    const k = webgpuKernelsOf(be)!;
    const t = be.empty([1000]);
    await be.sync();
    const used = k.memory.bytesUsed;
    t.dispose();
    await be.sync();
    expect(k.memory.bytesUsed).toBe(used - 4000);
    const reusedBefore = k.memory.reused;
    const t2 = be.tensor(randn(1000, 81), [1000]);
    expect(k.memory.reused).toBe(reusedBefore + 1);
    expect(Array.from(await t2.read())).toEqual(Array.from(randn(1000, 81)));
    // A reused buffer is zero-filled for empty().
    t2.dispose();
    const z = be.empty([1000]);
    expect((await z.read()).every((e) => e === 0)).toBe(true);
    expect(k.memory.bytesAllocated).toBeGreaterThanOrEqual(k.memory.bytesUsed);
  });

  it('refuses a tensor larger than maxStorageBufferBindingSize before any work', () => {
    const max = be.capabilities.limits!.maxStorageBufferBindingSize;
    const elements = Math.floor(max / 4) + 1;
    expect(() => be.empty([elements])).toThrow(UnsupportedError);
    expect(() => be.empty([elements])).toThrow(/maxStorageBufferBindingSize/);
  });

  it('timeGpu: GPU timestamps where the adapter offers timestamp-query, else wall time; no validation error', async () => {
    const x = be.tensor(randn(64 * 1024, 94), [64, 1024]);
    const w = be.tensor(randn(1024, 95), [1024]);
    const t = await timeGpu(be, () => rmsnorm(x, w));
    const stamped = be.capabilities.features?.includes('timestamp-query') ?? false;
    expect(t.source).toBe(stamped ? 'timestamp' : 'wall');
    expect(t.passes).toBe(stamped ? 1 : 0);
    expect(t.ms).toBeGreaterThanOrEqual(0);
    expect(t.wallMs).toBeGreaterThan(0);
    if (stamped) console.info(`timeGpu: ${t.ms.toFixed(4)} ms of GPU time, ${t.wallMs.toFixed(2)} ms wall`);
    // A submit the device rejected (e.g. one using a buffer with a pending map, which the
    // timestamp readback once did) would surface here as a validation error.
    const y = await t.result.read();
    const ref = rmsnormRef(await x.read(), await w.read(), 1024, 1e-6, 0).y;
    expect(maxRelError(y, ref).worst).toBeLessThanOrEqual(TOL.f32.rmsnorm);
  });

  it('device loss rejects pending reads with DeviceLostError, sets capabilities.lost, and a new backend works', async () => {
    const doomed = await createBackend();
    const x = doomed.tensor(randn(4 * 64, 91), [4, 64]);
    const w = doomed.tensor(randn(64, 92), [64]);
    const y = rmsnorm(x, w);
    const pending = y.read();
    webgpuKernelsOf(doomed)!.ctx.device.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'E_DEVICE_LOST' });
    await expect(y.read()).rejects.toMatchObject({ code: 'E_DEVICE_LOST' });
    expect(doomed.capabilities.lost).toBe(true);
    expect(() => rmsnorm(x, w)).toThrow(/device was lost/);
    doomed.dispose();
    const fresh = await createBackend();
    const y2 = await rmsnorm(fresh.tensor(randn(64, 93), [1, 64]), fresh.tensor(new Float32Array(64).fill(1), [64])).read();
    expect(y2.every(Number.isFinite)).toBe(true);
    fresh.dispose();
  });
}
