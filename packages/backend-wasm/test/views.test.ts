/**
 * Views on the wasm backend (`capabilities.views`): every kernel reads and writes operands
 * at odd element offsets with row strides, as core hands them over without copies — inputs
 * with NaN in the gaps (never read), outputs into views whose gaps must stay untouched, q/k/v
 * as views of one packed projection (prefill with K/V packing, decode, block-major decode),
 * f16 staged through views — against the float64 reference of the dense data. Then the
 * zero-copy memory API: read(into)/readSync of regions, write, view(), capacityBytes.
 */
import { referenceAddRmsnorm, referenceGqa, referenceRmsnorm, referenceRope } from '@llama-ops/conformance/reference';
import { addRmsnorm, createKVCache, float16BitsToFloat32, float32ToFloat16Bits, gqa, rmsnorm, rope, type Backend, type DType, type Tensor } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError, random } from './util.js';

/** f32 tolerances of SPEC.md; f16 storage: 2e-3 (rmsnorm, rope) and 5e-3 (gqa). */
const TOL = { rmsnorm: { f32: 1e-5, f16: 2e-3 }, rope: { f32: 2e-6, f16: 2e-3 }, gqa: { f32: 1e-4, f16: 5e-3 } };
/** What the gaps of an output's storage hold before the op, and must hold after it. */
const SENTINEL = 7.25;

/** `data` rounded as the storage dtype holds it (the reference's input). */
function stored(data: Float32Array, dtype: DType): Float32Array {
  return dtype === 'f32' ? data : data.map((x) => float16BitsToFloat32(float32ToFloat16Bits(x)));
}

/** Rows of `rowSize` elements of `data`, placed at `offset + r · rowStride` in a larger tensor filled with `fill`. */
function place(data: Float32Array, rowSize: number, offset: number, rowStride: number, fill: number): Float32Array {
  const rows = data.length / rowSize;
  const host = new Float32Array(offset + (rows - 1) * rowStride + rowSize + 3).fill(fill);
  for (let r = 0; r < rows; r++) host.set(data.subarray(r * rowSize, (r + 1) * rowSize), offset + r * rowStride);
  return host;
}

/** `data` as a strided view (NaN in the gaps) of a larger rank-1 tensor. */
function stridedInput(be: Backend, data: Float32Array, shape: number[], offset: number, rowStride: number, dtype: DType): Tensor {
  const rowSize = shape.length >= 3 ? shape.slice(2).reduce((a, b) => a * b) : shape[shape.length - 1];
  const host = place(data, rowSize, offset, rowStride, NaN);
  return be.view(be.tensor(host, [host.length], { dtype }), { shape, offset, rowStride });
}

/** An output view with SENTINEL in its base's gaps; `check` verifies the gaps and returns the view's values. */
function stridedOutput(be: Backend, shape: number[], offset: number, rowStride: number, dtype: DType) {
  const size = shape.reduce((a, b) => a * b);
  const rowSize = shape.length >= 3 ? shape.slice(2).reduce((a, b) => a * b) : shape[shape.length - 1];
  const host = place(new Float32Array(size).fill(SENTINEL), rowSize, offset, rowStride, SENTINEL);
  const base = be.tensor(host, [host.length], { dtype });
  const view = be.view(base, { shape, offset, rowStride });
  return {
    view,
    check(): Float32Array {
      const all = base.readSync!();
      const inRow = new Uint8Array(all.length);
      for (let r = 0; r < size / rowSize; r++) inRow.fill(1, offset + r * rowStride, offset + r * rowStride + rowSize);
      let touched = 0;
      for (let i = 0; i < all.length; i++) if (!inRow[i] && all[i] !== SENTINEL) touched++;
      expect(touched, 'elements of the gaps written').toBe(0);
      return view.readSync!();
    },
  };
}

describe.each([
  ['1 thread', 1],
  ['2 threads, every kernel on the pool', 2],
])('views on wasm (%s)', (_name, threads) => {
  let be: Backend;
  beforeAll(async () => {
    be = await createBackend({ threads, minParallelWork: 0 });
    expect(be.capabilities.views).toBe(true);
  });
  afterAll(() => be.dispose());

  describe.each(['f32', 'f16'] as const)('%s storage', (dtype) => {
    it('rmsnorm: x, residual and out strided at odd offsets, weight at an offset', () => {
      for (const [rows, hidden] of [
        [3, 37],
        [40, 64],
      ]) {
        const x = stored(random(rows * hidden, 1, 3), dtype);
        const r = stored(random(rows * hidden, 2), dtype);
        const w = stored(random(hidden, 3), dtype);
        const wBase = be.tensor(place(w, hidden, 1, hidden, NaN), [hidden + 4], { dtype });
        const weight = be.view(wBase, { shape: [hidden], offset: 1 });
        const xv = stridedInput(be, x, [rows, hidden], 5, hidden + 8, dtype);
        const rv = stridedInput(be, r, [rows, hidden], 3, hidden + 3, dtype);
        const out = stridedOutput(be, [rows, hidden], 7, hidden + 4, dtype);
        expect(rmsnorm(xv, weight, { eps: 1e-5, weightOffset: 0.5, out: out.view })).toBe(out.view);
        const ref = referenceRmsnorm(x, [rows, hidden], w, { eps: 1e-5, weightOffset: 0.5 });
        expect(maxRelError(out.check(), ref)).toBeLessThanOrEqual(TOL.rmsnorm[dtype]);

        const withResidual = stridedOutput(be, [rows, hidden], 1, hidden + 1, dtype);
        rmsnorm(xv, weight, { residual: rv, out: withResidual.view });
        expect(maxRelError(withResidual.check(), referenceRmsnorm(x, [rows, hidden], w, { residual: r }))).toBeLessThanOrEqual(TOL.rmsnorm[dtype]);

        const y = stridedOutput(be, [rows, hidden], 9, hidden + 2, dtype);
        const sum = stridedOutput(be, [rows, hidden], 3, hidden + 5, dtype);
        addRmsnorm(xv, rv, weight, { outY: y.view, outSum: sum.view });
        const refAdd = referenceAddRmsnorm(x, r, [rows, hidden], w);
        expect(maxRelError(y.check(), refAdd.y)).toBeLessThanOrEqual(TOL.rmsnorm[dtype]);
        expect(maxRelError(sum.check(), refAdd.sum)).toBeLessThanOrEqual(TOL.rmsnorm[dtype]);
      }
    });

    it.each([
      ['rotate-half', false],
      ['interleaved', true],
    ])('rope (%s, partial rotary): a strided view into a strided out, and in place in a strided view', (_pairing, interleaved) => {
      const shape = [2, 3, 2, 12];
      const x = stored(random(144, 4), dtype);
      const opts = { positions: 5, rotaryDim: 8, interleaved };
      const ref = referenceRope(x, shape, opts);
      const xv = stridedInput(be, x, shape, 1, 29, dtype);
      const out = stridedOutput(be, shape, 3, 31, dtype);
      rope(xv, { ...opts, out: out.view });
      expect(maxRelError(out.check(), ref, x)).toBeLessThanOrEqual(TOL.rope[dtype]);

      const inPlace = stridedOutput(be, shape, 5, 27, dtype);
      inPlace.view.write(x);
      expect(rope(inPlace.view, { ...opts, out: inPlace.view })).toBe(inPlace.view);
      expect(maxRelError(inPlace.check(), ref, x)).toBeLessThanOrEqual(TOL.rope[dtype]);
    });

    /** q, k, v as views of one packed [B, S, (Hq + 2·Hkv)·d + pad] projection at offset 3, out into a strided view. */
    function packedGqa(b: number, s: number, hq: number, hkv: number, d: number, opts: { mask?: boolean; sinks?: boolean; kvLength?: number[] } = {}) {
      const pad = 5;
      const row = (hq + 2 * hkv) * d + pad;
      const q = stored(random(b * s * hq * d, 11, 2), dtype);
      const k = stored(random(b * s * hkv * d, 12, 2), dtype);
      const v = stored(random(b * s * hkv * d, 13), dtype);
      const packed = new Float32Array(3 + b * s * row).fill(NaN);
      for (let t = 0; t < b * s; t++) {
        packed.set(q.subarray(t * hq * d, (t + 1) * hq * d), 3 + t * row);
        packed.set(k.subarray(t * hkv * d, (t + 1) * hkv * d), 3 + t * row + hq * d);
        packed.set(v.subarray(t * hkv * d, (t + 1) * hkv * d), 3 + t * row + (hq + hkv) * d);
      }
      const qkv = be.tensor(packed, [packed.length], { dtype });
      const qv = be.view(qkv, { shape: [b, s, hq, d], offset: 3, rowStride: row });
      const kv = be.view(qkv, { shape: [b, s, hkv, d], offset: 3 + hq * d, rowStride: row });
      const vv = be.view(qkv, { shape: [b, s, hkv, d], offset: 3 + (hq + hkv) * d, rowStride: row });
      const maskData = stored(random(s * s, 14, 2), dtype);
      const maskBase = be.tensor(place(maskData, s * s, 5, s * s, NaN), [s * s + 8], { dtype });
      const sinkData = stored(random(hq, 15, 2), dtype);
      const sinkBase = be.tensor(place(sinkData, hq, 1, hq, NaN), [hq + 4], { dtype });
      const out = stridedOutput(be, [b, s, hq, d], 1, hq * d + 3, dtype);
      gqa(qv, kv, vv, {
        mask: opts.mask ? be.view(maskBase, { shape: [1, 1, s, s], offset: 5 }) : undefined,
        sinks: opts.sinks ? be.view(sinkBase, { shape: [hq], offset: 1 }) : undefined,
        kvLength: opts.kvLength,
        out: out.view,
      });
      const ref = referenceGqa(q, k, v, { q: [b, s, hq, d], k: [b, s, hkv, d], v: [b, s, hkv, d] }, {
        mask: opts.mask ? { data: maskData, shape: [1, 1, s, s] } : undefined,
        sinks: opts.sinks ? sinkData : undefined,
        kvLength: opts.kvLength,
      });
      expect(maxRelError(out.check(), ref, 1)).toBeLessThanOrEqual(TOL.gqa[dtype]);
    }

    it('gqa prefill (K/V packed by gqaPack) on q/k/v views of one packed projection, d 12, with a mask and sinks at offsets', () => {
      packedGqa(1, 40, 4, 2, 12, { mask: true, sinks: true });
    });

    it('gqa on a ragged batch of packed views, d 7 (scalar tails), decode-sized tiles', () => {
      packedGqa(2, 9, 6, 2, 7, { kvLength: [9, 4] });
      packedGqa(2, 1, 8, 2, 16);
    });
  });

  it('gqa decode over a K/V cache interleaved in one tensor (block-major order: K rows 8 KiB apart, 17 MiB of K/V), with NaN past kvLength', () => {
    const [hq, hkv, d, keys, valid] = [32, 8, 128, 2100, 2090];
    const kv = 2 * hkv * d; // one token: K then V
    const cacheData = random(keys * kv, 21);
    cacheData.fill(NaN, valid * kv);
    const cache = be.tensor(cacheData, [1, keys, kv]);
    const k = be.view(cache, { shape: [1, keys, hkv, d], rowStride: kv });
    const v = be.view(cache, { shape: [1, keys, hkv, d], offset: hkv * d, rowStride: kv });
    const q = random(hq * d, 22, 2);
    const out = gqa(be.tensor(q, [1, 1, hq, d]), k, v, { kvLength: valid }).readSync!();
    const kd = new Float32Array(keys * hkv * d);
    const vd = new Float32Array(keys * hkv * d);
    for (let j = 0; j < keys; j++) {
      kd.set(cacheData.subarray(j * kv, j * kv + hkv * d), j * hkv * d);
      vd.set(cacheData.subarray(j * kv + hkv * d, (j + 1) * kv), j * hkv * d);
    }
    const ref = referenceGqa(q, kd, vd, { q: [1, 1, hq, d], k: [1, keys, hkv, d], v: [1, keys, hkv, d] }, { kvLength: valid });
    expect(out.every(Number.isFinite)).toBe(true);
    expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(TOL.gqa.f32);
  });

  it('copies views row by row: a KV-cache append of k and v views of a packed projection', async () => {
    const cache = createKVCache(be, { batch: 2, capacity: 6, kvHeads: 2, headDim: 3 });
    const row = 2 * 3 * 2 + 1; // k, v and one pad per token
    const packed = random(3 + 2 * 4 * row, 31);
    const t = be.tensor(packed, [packed.length]);
    cache.append(be.view(t, { shape: [2, 4, 2, 3], offset: 3, rowStride: row }), be.view(t, { shape: [2, 4, 2, 3], offset: 9, rowStride: row }));
    const k = await cache.k.read();
    const v = await cache.v.read();
    for (let b = 0; b < 2; b++) {
      for (let s = 0; s < 6; s++) {
        for (let e = 0; e < 6; e++) {
          const at = (b * 6 + s) * 6 + e;
          const src = 3 + (b * 4 + s) * row + e;
          expect([k[at], v[at]]).toEqual(s < 4 ? [packed[src], packed[src + 6]] : [0, 0]);
        }
      }
    }
  });
});

describe('zero-copy memory API on wasm', () => {
  let be: Backend;
  beforeAll(async () => {
    be = await createBackend({ threads: 1 });
  });
  afterAll(() => be.dispose());

  it('read(into) and readSync fill the caller array (no new array), for views at odd offsets, f16 widened', async () => {
    for (const dtype of ['f32', 'f16'] as const) {
      const data = stored(random(5 * 13, 41, 100), dtype);
      const view = stridedInput(be, data, [5, 13], 3, 17, dtype);
      const into = new Float32Array(65);
      expect(await view.read(into)).toBe(into);
      expect(Array.from(into)).toEqual(Array.from(data));
      into.fill(0);
      expect(view.readSync!(into)).toBe(into);
      expect(Array.from(into)).toEqual(Array.from(data));
    }
  });

  it('write() fills a view and nothing else, f16 narrowed to nearest even; an empty tensor reads zeros around it', () => {
    for (const dtype of ['f32', 'f16'] as const) {
      const base = be.empty([100], { dtype });
      const view = be.view(base, { shape: [3, 7], offset: 11, rowStride: 20 });
      const data = random(21, 42, 70000); // past f16's max (65504): Inf in f16
      view.write(data);
      const all = base.readSync!();
      for (let i = 0; i < 100; i++) {
        const r = Math.floor((i - 11) / 20);
        const c = (i - 11) % 20;
        const inView = i >= 11 && r < 3 && c < 7;
        expect(all[i]).toBe(inView ? stored(data, dtype)[r * 7 + c] : 0);
      }
    }
  });

  it('view() is a Float32Array over wasm memory: writes through it are the tensor; be.empty + view().set is an upload', () => {
    const t = be.empty([4, 8]);
    const view = t.view();
    expect(view.length).toBe(32);
    expect(Array.from(view)).toEqual(new Array(32).fill(0)); // allocated lazily: zeroed when viewed
    const data = random(32, 43);
    view.set(data);
    expect(Array.from(t.readSync!())).toEqual(Array.from(data));
    const row = be.view(t, { shape: [8], offset: 16 }).view();
    row[0] = 5;
    expect(t.readSync!()[16]).toBe(5);
  });

  it('view() becomes invalid when wasm memory grows (a one-thread memory detaches its buffer), as documented', async () => {
    const one = await createBackend({ threads: 1 });
    try {
      const t = one.tensor(random(16, 44), [16]);
      const view = t.view();
      expect(view.length).toBe(16);
      one.empty([4 << 20]); // 16 MiB: past the initial memory, so it grows
      expect(view.length).toBe(0); // detached
      expect(t.view().length).toBe(16); // a fresh one is valid
    } finally {
      one.dispose();
    }
  });

  it('capacityBytes is the wasm memory maximum: 4 GiB by default, maxMemoryBytes (whole pages) when given', async () => {
    expect(be.memory().capacityBytes).toBe(4 * 2 ** 30);
    const small = await createBackend({ threads: 1, maxMemoryBytes: 3 * 2 ** 20 + 1 });
    try {
      expect(small.memory().capacityBytes).toBe(3 * 2 ** 20 + 65536);
    } finally {
      small.dispose();
    }
  });

  it('createBackend checks its options: unknown keys and wrong types are typed ValueErrors naming the key', async () => {
    const valueError = (argument: string, message?: RegExp) => expect.objectContaining({ code: 'E_VALUE', argument, ...(message ? { message: expect.stringMatching(message) } : {}) });
    await expect(createBackend({ thread: 1 } as never)).rejects.toThrow(valueError('options.thread', /did you mean 'threads'/));
    await expect(createBackend({ minParallelWork: '5' } as never)).rejects.toThrow(valueError('options.minParallelWork'));
    await expect(createBackend({ maxMemoryBytes: 2 ** 33 })).rejects.toThrow(valueError('options.maxMemoryBytes'));
    await expect(createBackend({ maxMemoryBytes: 1000 })).rejects.toThrow(valueError('options.maxMemoryBytes'));
  });
});
