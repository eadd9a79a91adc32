/**
 * Views, `out` options and the read/write paths, on a host-memory test backend, with and
 * without `capabilities.views`: a backend that takes views gets offsets and row strides, any
 * other gets dense copies made (and written back) with its copy kernel. Values are checked
 * end to end through read(); the maths of each op is the conformance kit's business.
 */
import { describe, expect, it } from 'vitest';
import { DisposedError, ShapeError, UnsupportedError, ValueError, addRmsnorm, createKVCache, gqa, rmsnorm, rope } from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

const iota = (n: number, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);

describe('backend.view', () => {
  it('views rows at an offset and a row stride; read() gathers them', async () => {
    for (const views of [false, true]) {
      for (const hostMemory of [false, true]) {
        const { backend: be } = createFakeBackend('fake', ['f32'], { views, hostMemory });
        const packed = be.tensor(iota(2 * 3 * 10), [2, 3, 10]); // [B, S, (Hq + 2 Hkv) d] with Hq = 2, Hkv = 1... d = 2
        const k = be.view(packed, { shape: [2, 3, 2, 2], offset: 4, rowStride: 10 });
        expect(k.rows).toBe(6);
        expect(k.rowLength).toBe(4);
        expect(k.contiguous).toBe(false);
        const want = [4, 5, 6, 7, 14, 15, 16, 17, 24, 25, 26, 27, 34, 35, 36, 37, 44, 45, 46, 47, 54, 55, 56, 57];
        expect(Array.from(await k.read())).toEqual(want);
        const into = new Float32Array(24);
        expect(await k.read(into)).toBe(into);
        expect(Array.from(into)).toEqual(want);
        if (hostMemory) expect(Array.from(k.readSync?.() ?? [])).toEqual(want);
        else expect(k.readSync).toBeUndefined();
      }
    }
  });

  it('checks bounds, strides and the viewed tensor', () => {
    const { backend: be } = createFakeBackend();
    const t = be.tensor(iota(12), [3, 4]);
    expect(() => be.view(t, { shape: [3, 4], offset: 1 })).toThrow(ValueError);
    expect(() => be.view(t, { shape: [2, 4], rowStride: 3 })).toThrow(/rowStride/);
    expect(() => be.view(t, { shape: [2, 2], rowStride: 11 })).toThrow(/inside the 12 elements/);
    expect(() => be.view(t, { shape: [2, 2], rowStrid: 4 } as never)).toThrow(/did you mean 'rowStride'/);
    expect(() => be.view(t, { shape: [] })).toThrow(ShapeError);
    const strided = be.view(t, { shape: [3, 2], rowStride: 4 });
    expect(() => be.view(strided, { shape: [2] })).toThrow(UnsupportedError);
    const other = createFakeBackend().backend;
    expect(() => other.view(t, { shape: [2] })).toThrow(/this fake backend/);
  });

  it('composes with a contiguous view, lives with its base', async () => {
    const { backend: be } = createFakeBackend();
    const t = be.tensor(iota(12), [12]);
    const a = be.view(t, { shape: [8], offset: 2 });
    const b = be.view(a, { shape: [2, 2], offset: 3, rowStride: 3 });
    expect(b.base).toBe(t);
    expect(Array.from(await b.read())).toEqual([5, 6, 8, 9]);
    b.dispose();
    expect(t.disposed).toBe(false);
    t.dispose();
    expect(a.disposed).toBe(true);
    await expect(a.read()).rejects.toThrow(/the tensor it views was disposed/);
  });
});

describe('tensor.write / tensor.view()', () => {
  it('write() fills a tensor or a strided view, with and without backend support', async () => {
    for (const opts of [{}, { views: true, hostMemory: true }]) {
      const { backend: be } = createFakeBackend('fake', ['f32'], opts);
      const t = be.tensor(new Float32Array(8), [2, 4]);
      be.view(t, { shape: [2, 2], offset: 1, rowStride: 4 }).write([1, 2, 3, 4]);
      expect(Array.from(await t.read())).toEqual([0, 1, 2, 0, 0, 3, 4, 0]);
      expect(() => t.write([1, 2])).toThrow(/data.length/);
    }
  });

  it('view() is a live zero-copy array on host-memory backends only', async () => {
    const { backend: be } = createFakeBackend('fake', ['f32'], { hostMemory: true });
    const t = be.empty([4]);
    t.view().set([1, 2, 3, 4]);
    expect(Array.from(await t.read())).toEqual([1, 2, 3, 4]);
    expect(Array.from(be.view(t, { shape: [2], offset: 1 }).view())).toEqual([2, 3]);
    expect(() => be.view(be.empty([2, 4]), { shape: [2, 2], rowStride: 4 }).view()).toThrow(UnsupportedError);
    const gpuLike = createFakeBackend().backend;
    expect(() => gpuLike.empty([2]).view()).toThrow(UnsupportedError);
  });

  it('read(into) rejects a destination of the wrong size or type', async () => {
    const { backend: be } = createFakeBackend();
    const t = be.tensor([1, 2, 3], [3]);
    await expect(t.read(new Float32Array(2))).rejects.toThrow(ValueError);
    await expect(t.read(new Float64Array(3) as never)).rejects.toThrow(/Float32Array of 3/);
  });
});

describe('out options', () => {
  it('write into the given tensor and return it; strided outs are written back on dense-only backends', async () => {
    for (const views of [false, true]) {
      const fake = createFakeBackend('fake', ['f32'], { views });
      const be = fake.backend;
      const x = be.tensor(iota(8), [2, 4]);
      const w = be.tensor([1, 1, 1, 1], [4]);
      const big = be.tensor(new Float32Array(16).fill(-1), [2, 8]);
      const out = be.view(big, { shape: [2, 4], offset: 2, rowStride: 8 });
      expect(rmsnorm(x, w, { out })).toBe(out);
      const p = fake.params.find((c) => c.kernel === 'rmsnorm')?.params as { layout: { out: { offset: number; rowStride: number } }; out: unknown };
      if (views) {
        expect(p.layout.out).toEqual({ offset: 2, rowStride: 8 });
        expect(p.out).toBe(big.storage);
      } else {
        expect(p.layout.out).toEqual({ offset: 0, rowStride: 4 });
        expect(p.out).not.toBe(big.storage);
        // the fake kernel writes nothing: the staged zeros are copied into the view's rows only
        expect(Array.from(await big.read())).toEqual([-1, -1, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, -1, -1]);
      }
    }
  });

  it('check shape, dtype, backend and overlap with inputs', () => {
    const { backend: be } = createFakeBackend('fake', ['f32', 'f16']);
    const x = be.tensor(iota(8), [2, 4]);
    const w = be.tensor([1, 1, 1, 1], [4]);
    expect(() => rmsnorm(x, w, { out: be.empty([4, 2]) })).toThrow(ShapeError);
    expect(() => rmsnorm(x, w, { out: be.empty([2, 4], { dtype: 'f16' }) })).toThrow(/dtype f32/);
    expect(() => rmsnorm(x, w, { out: x })).toThrow(/does not overlap x/);
    expect(() => rmsnorm(x, w, { out: createFakeBackend().backend.empty([2, 4]) })).toThrow(/backend/);
    const disposed = be.empty([2, 4]);
    disposed.dispose();
    expect(() => rmsnorm(x, w, { out: disposed })).toThrow(DisposedError);
    const r = be.tensor(iota(8), [2, 4]);
    const y = be.empty([2, 4]);
    expect(() => addRmsnorm(x, r, w, { outY: y, outSum: y })).toThrow(/options.outSum/);
    const { y: y2, sum } = addRmsnorm(x, r, w, { outY: y });
    expect(y2).toBe(y);
    expect(sum).not.toBe(y);
  });

  it('q, k, v views of one packed tensor do not overlap each other, and out may not overlap them', () => {
    const { backend: be, params } = createFakeBackend('fake', ['f32'], { views: true });
    const [B, S, Hq, Hkv, d] = [1, 3, 4, 2, 2];
    const row = (Hq + 2 * Hkv) * d;
    const qkv = be.tensor(iota(B * S * row), [B, S, row]);
    const q = be.view(qkv, { shape: [B, S, Hq, d], rowStride: row });
    const k = be.view(qkv, { shape: [B, S, Hkv, d], offset: Hq * d, rowStride: row });
    const v = be.view(qkv, { shape: [B, S, Hkv, d], offset: (Hq + Hkv) * d, rowStride: row });
    gqa(q, k, v);
    const p = params.find((c) => c.kernel === 'gqa')?.params as { layout: Record<string, { offset: number; rowStride: number }> };
    expect(p.layout.q).toEqual({ offset: 0, rowStride: row });
    expect(p.layout.k).toEqual({ offset: Hq * d, rowStride: row });
    expect(p.layout.v).toEqual({ offset: (Hq + Hkv) * d, rowStride: row });
    expect(p.layout.out).toEqual({ offset: 0, rowStride: Hq * d });
    const qAsOut = be.view(qkv, { shape: [B, S, Hq, d], rowStride: row });
    expect(() => gqa(q, k, v, { out: qAsOut })).toThrow(/does not overlap q/);
    // RoPE in place on a view: out: q is the same memory
    expect(rope(q, { out: qAsOut })).toBe(q);
    expect(rope(q, { inPlace: true })).toBe(q);
    expect(() => rope(q, { out: k })).toThrow(ShapeError);
  });

  it('rope in place on a strided view of a dense-only backend goes through a copy and back', async () => {
    const { backend: be, params } = createFakeBackend('fake', ['f32'], { views: false });
    const qkv = be.tensor(iota(12), [1, 2, 6]);
    const q = be.view(qkv, { shape: [1, 2, 1, 2], offset: 2, rowStride: 6 });
    rope(q, { inPlace: true });
    const p = params.find((c) => c.kernel === 'rope')?.params as { x: unknown; out: unknown };
    expect(p.x).toBe(p.out);
    expect(p.x).not.toBe(qkv.storage);
    expect(Array.from(await qkv.read())).toEqual(Array.from(iota(12)));
  });

  it('KV-cache append accepts views', async () => {
    for (const views of [false, true]) {
      const { backend: be } = createFakeBackend('fake', ['f32'], { views });
      const cache = createKVCache(be, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2 });
      const qkv = be.tensor(iota(12), [1, 2, 6]); // Hq = 1, Hkv = 1, d = 2 ... (1 + 2) * 2 = 6
      cache.append(be.view(qkv, { shape: [1, 2, 1, 2], offset: 2, rowStride: 6 }), be.view(qkv, { shape: [1, 2, 1, 2], offset: 4, rowStride: 6 }));
      expect(Array.from(await cache.k.read())).toEqual([2, 3, 8, 9, 0, 0, 0, 0]);
      expect(Array.from(await cache.v.read())).toEqual([4, 5, 10, 11, 0, 0, 0, 0]);
    }
  });

  it('an rmsnorm over a per-head view (rows shorter than the view rows) is copied densely even with views', () => {
    const { backend: be, params } = createFakeBackend('fake', ['f32'], { views: true });
    const qkv = be.tensor(iota(12), [1, 2, 6]);
    const q = be.view(qkv, { shape: [1, 2, 2, 1], rowStride: 6 }); // rows of 2, rmsnorm rows of 1
    rmsnorm(q, be.tensor([1], [1]));
    const p = params.find((c) => c.kernel === 'rmsnorm')?.params as { x: unknown; layout: { x: object } };
    expect(p.x).not.toBe(qkv.storage);
    expect(p.layout.x).toEqual({ offset: 0, rowStride: 1 });
  });
});
