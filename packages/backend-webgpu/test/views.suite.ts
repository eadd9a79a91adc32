/**
 * Views and the zero-copy API on the GPU (issue #12), run by every GPU project: kernels read
 * and write operands at element offsets with row strides themselves (core makes no copy),
 * `read(into)` fills the caller's array, `write` keeps stream order, and `fromGPUBuffer` wraps a
 * caller's buffer. Each case checks values against the float64 reference and that nothing
 * outside a view changed. "aligned" layouts take the vec4 paths; "unaligned" ones (offsets and
 * strides that are not multiples of 4, odd for f16) take the scalar paths.
 */
import { addRmsnorm, createKVCache, gqa, rmsnorm, rope, UnsupportedError, type Backend, type DType, type KernelBackend, type Tensor } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json';
import { createBackend, flush, webgpuKernelsOf } from '../src/index.js';
import { changedGaps, gqaRef, maxRelError, placeRows, randn, rmsnormRef, ropeRef, stored16, takeRows, TOL } from './reference.js';

export interface ViewsSuiteOptions {
  expectF16: boolean;
}

/** Written into the memory around output views: it must survive every op. Exact in f16. */
const SENTINEL = 1234;

/** [name, element offset, padding after each row]. */
const LAYOUTS: Array<[string, number, number]> = [
  ['aligned', 8, 4],
  ['unaligned', 5, 3],
];

/** Calls of the backend's copy kernel while the spy is on (core copies views only for backends without `views`). */
function spyCopies(be: Backend): { calls: Array<{ rows: number }>; stop: () => void } {
  const k = be.kernels as KernelBackend;
  const original = k.copy;
  const calls: Array<{ rows: number }> = [];
  (k as { copy: KernelBackend['copy'] }).copy = (p) => {
    calls.push({ rows: p.rows });
    original.call(k, p);
  };
  return { calls, stop: () => ((k as { copy: KernelBackend['copy'] }).copy = original) };
}

/** A base tensor holding `data`'s rows at `offset` / `rowStride` (NaN elsewhere: a stray read poisons the result) and the view of them. */
function stridedInput(be: Backend, data: Float32Array, shape: number[], offset: number, rowStride: number, dtype: DType): { base: Tensor; view: Tensor } {
  const rowLength = shape.length >= 3 ? shape.slice(2).reduce((a, b) => a * b, 1) : shape[shape.length - 1];
  const rows = data.length / rowLength;
  const total = offset + (rows - 1) * rowStride + rowLength + 2;
  const base = be.tensor(placeRows(data, rowLength, offset, rowStride, total, Number.NaN), [total], { dtype });
  return { base, view: be.view(base, { shape, offset, rowStride }) };
}

/** An output view at `offset` / `rowStride` inside a base filled with {@link SENTINEL}. */
function stridedOutput(be: Backend, shape: number[], offset: number, rowStride: number, dtype: DType) {
  const rowLength = shape.length >= 3 ? shape.slice(2).reduce((a, b) => a * b, 1) : shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / rowLength;
  const total = offset + (rows - 1) * rowStride + rowLength + 3;
  const base = be.tensor(new Float32Array(total).fill(SENTINEL), [total], { dtype });
  const view = be.view(base, { shape, offset, rowStride });
  /** The view's values and the indices outside it that changed. */
  const check = async () => {
    const all = await base.read();
    return { values: takeRows(all, rows, rowLength, offset, rowStride), changed: changedGaps(all, rows, rowLength, offset, rowStride, SENTINEL) };
  };
  return { base, view, check };
}

/** Parts laid side by side per token in one packed tensor `[batch, seq, sum of widths]` after `lead` leading elements. */
function packed(be: Backend, parts: Array<{ data: Float32Array; width: number }>, tokens: number, lead: number, dtype: DType, extra = 0) {
  const token = parts.reduce((a, p) => a + p.width, 0) + extra;
  const total = lead + tokens * token;
  const data = new Float32Array(total).fill(Number.NaN);
  let at = lead;
  const offsets: number[] = [];
  for (const p of parts) {
    for (let t = 0; t < tokens; t++) data.set(p.data.subarray(t * p.width, (t + 1) * p.width), at + t * token);
    offsets.push(at);
    at += p.width;
  }
  const base = be.tensor(data, [total], { dtype });
  return { base, token, offsets, extraOffset: at };
}

export function viewsSuite(opts: ViewsSuiteOptions): void {
  let be: Backend;
  let beFlash: Backend;
  beforeAll(async () => {
    be = await createBackend();
    beFlash = await createBackend({ gqaKernel: 'flash-attention' });
  }, 60_000);
  afterAll(() => {
    be?.dispose();
    beFlash?.dispose();
  });

  it('declares views and its version', () => {
    expect(be.capabilities.views).toBe(true);
    expect(be.version).toBe(pkg.version);
  });

  describe.each(['f32', 'f16'] as DType[])('%s storage', (dtype) => {
    if (dtype === 'f16' && !opts.expectF16) {
      it.skip('f16 storage: run in the lavapipe project (shader-f16 is not expected on this adapter)', () => {});
      return;
    }
    const tol = TOL[dtype];

    it.each(LAYOUTS)('rmsnorm and addRmsnorm read x, residual and weight views and write out/sum views in place (%s)', async (_name, offset, pad) => {
      const rows = 3;
      const hidden = 64;
      const stride = hidden + pad;
      const x = stored16(randn(rows * hidden, 101), dtype);
      const r = stored16(randn(rows * hidden, 102), dtype);
      const w = stored16(randn(hidden, 103), dtype);
      const xs = stridedInput(be, x, [rows, hidden], offset, stride, dtype);
      const rs = stridedInput(be, r, [rows, hidden], offset + 4, stride + 4, dtype);
      const ws = stridedInput(be, w, [hidden], offset, hidden, dtype);
      const y = stridedOutput(be, [rows, hidden], offset, stride, dtype);
      const sum = stridedOutput(be, [rows, hidden], offset + 4, stride, dtype);
      const plain = stridedOutput(be, [rows, hidden], offset, stride + 8, dtype);
      const spy = spyCopies(be);
      addRmsnorm(xs.view, rs.view, ws.view, { eps: 1e-5, weightOffset: 0.5, outY: y.view, outSum: sum.view });
      rmsnorm(xs.view, ws.view, { eps: 1e-6, out: plain.view });
      spy.stop();
      expect(spy.calls, 'core copied a view: the kernel did not take its layout').toEqual([]);
      const ref = rmsnormRef(x, w, hidden, 1e-5, 0.5, r);
      const gotY = await y.check();
      expect(maxRelError(gotY.values, ref.y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      expect(gotY.changed).toEqual([]);
      const gotSum = await sum.check();
      expect(maxRelError(gotSum.values, ref.h).worst).toBeLessThanOrEqual(dtype === 'f16' ? 1e-3 : 1e-7);
      expect(gotSum.changed).toEqual([]);
      const gotPlain = await plain.check();
      expect(maxRelError(gotPlain.values, rmsnormRef(x, w, hidden, 1e-6, 0).y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      expect(gotPlain.changed).toEqual([]);
    });

    it.each(LAYOUTS)('rmsnorm whose out shares a buffer with x, and addRmsnorm with y and sum in one buffer (%s)', async (_name, offset, pad) => {
      // WebGPU rejects a writable binding aliasing another: these go through scratch.
      const rows = 4;
      const hidden = 32;
      const stride = 3 * hidden + pad;
      const x = stored16(randn(rows * hidden, 111), dtype);
      const r = stored16(randn(rows * hidden, 112), dtype);
      const w = stored16(randn(hidden, 113), dtype);
      const total = offset + rows * stride;
      const shared = be.tensor(placeRows(x, hidden, offset, stride, total, SENTINEL), [total], { dtype });
      const xv = be.view(shared, { shape: [rows, hidden], offset, rowStride: stride });
      const outV = be.view(shared, { shape: [rows, hidden], offset: offset + hidden, rowStride: stride });
      const wt = be.tensor(w, [hidden], { dtype });
      rmsnorm(xv, wt, { out: outV });
      const all = await shared.read();
      expect(maxRelError(takeRows(all, rows, hidden, offset + hidden, stride), rmsnormRef(x, w, hidden, 1e-6, 0).y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      expect(takeRows(all, rows, hidden, offset, stride)).toEqual(x);
      expect(takeRows(all, rows, hidden, offset + 2 * hidden, stride).every((e) => e === SENTINEL)).toBe(true);

      const both = stridedOutput(be, [rows, 2 * hidden], offset, stride, dtype);
      const yv = be.view(both.base, { shape: [rows, hidden], offset, rowStride: stride });
      const sv = be.view(both.base, { shape: [rows, hidden], offset: offset + hidden, rowStride: stride });
      addRmsnorm(be.tensor(x, [rows, hidden], { dtype }), be.tensor(r, [rows, hidden], { dtype }), wt, { outY: yv, outSum: sv });
      const got = await both.check();
      const ref = rmsnormRef(x, w, hidden, 1e-6, 0, r);
      expect(maxRelError(got.values.filter((_, i) => i % (2 * hidden) < hidden), ref.y).worst).toBeLessThanOrEqual(tol.rmsnorm);
      expect(maxRelError(got.values.filter((_, i) => i % (2 * hidden) >= hidden), ref.h).worst).toBeLessThanOrEqual(dtype === 'f16' ? 1e-3 : 1e-7);
      expect(got.changed).toEqual([]);
    });

    it.each([
      ['aligned', 0],
      ['unaligned', 1],
    ])('rope on q and k views of one packed QKV tensor: in place, into another view, into another region of the same buffer (%s)', async (_name, lead) => {
      const [batch, seq, hq, hkv, d, rotaryDim] = [2, 3, 4, 2, 16, 12];
      const tokens = batch * seq;
      const q = stored16(randn(tokens * hq * d, 121), dtype);
      const k = stored16(randn(tokens * hkv * d, 122), dtype);
      const v = stored16(randn(tokens * hkv * d, 123), dtype);
      const qShape = [batch, seq, hq, d];
      const kShape = [batch, seq, hkv, d];
      const p = packed(be, [{ data: q, width: hq * d }, { data: k, width: hkv * d }, { data: v, width: hkv * d }], tokens, lead, dtype);
      const [qv, kv, vv] = [qShape, kShape, kShape].map((shape, i) => be.view(p.base, { shape, offset: p.offsets[i], rowStride: p.token }));
      const out = stridedOutput(be, kShape, 3, hkv * d + 5, dtype);
      const spy = spyCopies(be);
      rope(qv, { positions: 5, rotaryDim, inPlace: true });
      rope(kv, { positions: 5, rotaryDim, out: out.view });
      spy.stop();
      expect(spy.calls).toEqual([]);
      const pos = (_b: number, s: number) => 5 + s;
      const qRef = ropeRef(q, qShape as [number, number, number, number], pos, 10000, rotaryDim, false);
      const kRef = ropeRef(k, kShape as [number, number, number, number], pos, 10000, rotaryDim, false);
      const all = await p.base.read();
      expect(maxRelError(takeRows(all, tokens, hq * d, p.offsets[0], p.token), qRef, (i) => Math.max(1, Math.abs(q[i]))).worst).toBeLessThanOrEqual(tol.rope);
      expect(takeRows(all, tokens, hkv * d, p.offsets[1], p.token)).toEqual(k);
      expect(takeRows(all, tokens, hkv * d, p.offsets[2], p.token)).toEqual(v);
      const got = await out.check();
      expect(maxRelError(got.values, kRef, (i) => Math.max(1, Math.abs(k[i]))).worst).toBeLessThanOrEqual(tol.rope);
      expect(got.changed).toEqual([]);
      // k rotated into v's place: x and out are one buffer at different offsets (tail copied).
      rope(kv, { positions: 5, rotaryDim, out: vv });
      const after = await p.base.read();
      expect(maxRelError(takeRows(after, tokens, hkv * d, p.offsets[2], p.token), kRef, (i) => Math.max(1, Math.abs(k[i]))).worst).toBeLessThanOrEqual(tol.rope);
      expect(takeRows(after, tokens, hkv * d, p.offsets[1], p.token)).toEqual(k);
    });

    it.each([
      ['aligned', 0],
      ['unaligned', 1],
    ])('gqa on q/k/v views of one packed QKV tensor, mask and sinks at offsets, out into a view, both kernels (%s)', async (_name, lead) => {
      const [batch, seq, hq, hkv, d] = [2, 5, 4, 2, 16];
      const tokens = batch * seq;
      const q = stored16(randn(tokens * hq * d, 131), dtype);
      const k = stored16(randn(tokens * hkv * d, 132, 2), dtype);
      const v = stored16(randn(tokens * hkv * d, 133, 3), dtype);
      const maskData = stored16(randn(seq * seq, 134, 2), dtype);
      const sinkData = stored16(Float32Array.from([-1, 0.5, 2, -0.25]), dtype);
      const args = { q, k, v, batch, seqQ: seq, seqKV: seq, hq, hkv, d, dv: d, mask: { data: maskData, mb: 1, mh: 1 }, sinks: sinkData };
      const ref = gqaRef(args);
      const decodeQ = stored16(randn(batch * hq * d, 135), dtype);
      const decodeRef = gqaRef({ q: decodeQ, k, v, batch, seqQ: 1, seqKV: seq, hq, hkv, d, dv: d, kvLength: [seq, 3] });
      const maxV = Math.max(1, ...Array.from(v, Math.abs));
      for (const backend of [be, beFlash]) {
        const p = packed(backend, [{ data: q, width: hq * d }, { data: k, width: hkv * d }, { data: v, width: hkv * d }], tokens, lead, dtype);
        const shapes = [
          [batch, seq, hq, d],
          [batch, seq, hkv, d],
          [batch, seq, hkv, d],
        ];
        const [qv, kv, vv] = shapes.map((shape, i) => backend.view(p.base, { shape, offset: p.offsets[i], rowStride: p.token }));
        const maskBase = backend.tensor(placeRows(maskData, seq * seq, 3, seq * seq, seq * seq + 5, Number.NaN), [seq * seq + 5], { dtype });
        const mask = backend.view(maskBase, { shape: [1, 1, seq, seq], offset: 3 });
        const sinkBase = backend.tensor(placeRows(sinkData, hq, 1, hq, hq + 2, Number.NaN), [hq + 2], { dtype });
        const sinks = backend.view(sinkBase, { shape: [hq], offset: 1 });
        const out = stridedOutput(backend, [batch, seq, hq, d], 2 + lead, hq * d + 3, dtype);
        const dq = stridedInput(backend, decodeQ, [batch, 1, hq, d], lead ? 1 : 4, hq * d + (lead ? 2 : 4), dtype);
        const decodeOut = stridedOutput(backend, [batch, 1, hq, d], lead, hq * d + 4, dtype);
        const spy = spyCopies(backend);
        gqa(qv, kv, vv, { mask, sinks, out: out.view });
        gqa(dq.view, kv, vv, { kvLength: [seq, 3], out: decodeOut.view });
        spy.stop();
        expect(spy.calls).toEqual([]);
        const kernel = webgpuKernelsOf(backend)?.gqaKernel;
        const got = await out.check();
        expect(maxRelError(got.values, ref, () => maxV).worst, `prefill (${kernel})`).toBeLessThanOrEqual(tol.gqa);
        expect(got.changed).toEqual([]);
        const gotDecode = await decodeOut.check();
        expect(maxRelError(gotDecode.values, decodeRef, () => maxV).worst, `decode (${kernel})`).toBeLessThanOrEqual(tol.gqa);
        expect(gotDecode.changed).toEqual([]);
      }
    });

    it('gqa writing its output into the packed buffer its q/k/v views live in', async () => {
      const [batch, seq, hq, hkv, d] = [1, 6, 2, 1, 8];
      const q = stored16(randn(seq * hq * d, 141), dtype);
      const k = stored16(randn(seq * hkv * d, 142), dtype);
      const v = stored16(randn(seq * hkv * d, 143), dtype);
      const p = packed(be, [{ data: q, width: hq * d }, { data: k, width: hkv * d }, { data: v, width: hkv * d }], seq, 1, dtype, hq * d);
      const [qv, kv, vv] = [hq, hkv, hkv].map((h, i) => be.view(p.base, { shape: [batch, seq, h, d], offset: p.offsets[i], rowStride: p.token }));
      const out = be.view(p.base, { shape: [batch, seq, hq, d], offset: p.extraOffset, rowStride: p.token });
      gqa(qv, kv, vv, { out });
      const all = await p.base.read();
      const ref = gqaRef({ q, k, v, batch, seqQ: seq, seqKV: seq, hq, hkv, d, dv: d });
      expect(maxRelError(takeRows(all, seq, hq * d, p.extraOffset, p.token), ref).worst).toBeLessThanOrEqual(tol.gqa);
      expect(takeRows(all, seq, hq * d, p.offsets[0], p.token)).toEqual(q);
      expect(takeRows(all, seq, hkv * d, p.offsets[2], p.token)).toEqual(v);
    });

    it('KV cache append from packed k/v views: one strided copy per batch and tensor, not one per row', async () => {
      const [batch, n, hq, hkv, d] = [2, 3, 4, 2, 6];
      const tokens = batch * n;
      const q = stored16(randn(tokens * hq * d, 151), dtype);
      const k = stored16(randn(tokens * hkv * d, 152), dtype);
      const v = stored16(randn(tokens * hkv * d, 153), dtype);
      const p = packed(be, [{ data: q, width: hq * d }, { data: k, width: hkv * d }, { data: v, width: hkv * d }], tokens, 1, dtype);
      const [kv, vv] = [1, 2].map((i) => be.view(p.base, { shape: [batch, n, hkv, d], offset: p.offsets[i], rowStride: p.token }));
      const cache = createKVCache(be, { batch, capacity: 8, kvHeads: hkv, headDim: d, dtype });
      cache.append(kv, vv); // positions 0..2
      const spy = spyCopies(be);
      cache.append(kv, vv); // positions 3..5
      spy.stop();
      expect(spy.calls).toEqual(Array.from({ length: 2 * batch }, () => ({ rows: n })));
      const [kc, vc] = [await cache.k.read(), await cache.v.read()];
      const row = hkv * d;
      for (let b = 0; b < batch; b++) {
        const kb = k.subarray(b * n * row, (b + 1) * n * row);
        const vb = v.subarray(b * n * row, (b + 1) * n * row);
        expect(kc.subarray(b * 8 * row, b * 8 * row + n * row)).toEqual(kb);
        expect(kc.subarray(b * 8 * row + n * row, b * 8 * row + 2 * n * row)).toEqual(kb);
        expect(vc.subarray(b * 8 * row + n * row, b * 8 * row + 2 * n * row)).toEqual(vb);
        expect(kc.subarray(b * 8 * row + 2 * n * row, (b + 1) * 8 * row).every((e) => e === 0)).toBe(true);
      }
    });

    it('read(into) fills the caller array (contiguous, strided, odd offsets); write(data) fills a view in stream order', async () => {
      const rows = 5;
      const len = 7;
      const data = stored16(randn(rows * len, 161), dtype);
      for (const [offset, stride] of [
        [0, len],
        [3, len],
        [1, len + 2],
        [4, len + 5],
      ]) {
        const s = stridedInput(be, data, [rows, len], offset, stride, dtype);
        const into = new Float32Array(rows * len);
        expect(await s.view.read(into)).toBe(into);
        expect(into).toEqual(data);
        // write: the op queued before sees the old values, the one after sees the new ones.
        const w = be.tensor(new Float32Array(len).fill(1), [len], { dtype });
        const before = rmsnorm(s.view, w);
        const next = stored16(randn(rows * len, 162 + offset), dtype);
        s.view.write(next);
        const after = rmsnorm(s.view, w);
        expect(maxRelError(await before.read(), rmsnormRef(data, new Float32Array(len).fill(1), len, 1e-6, 0).y).worst).toBeLessThanOrEqual(tol.rmsnorm);
        expect(maxRelError(await after.read(), rmsnormRef(next, new Float32Array(len).fill(1), len, 1e-6, 0).y).worst).toBeLessThanOrEqual(tol.rmsnorm);
        const all = await s.base.read();
        expect(takeRows(all, rows, len, offset, stride)).toEqual(next);
        expect(changedGaps(all, rows, len, offset, stride, Number.NaN)).toEqual([]);
        // With nothing pending the write goes straight to the buffer; a read sees it.
        await be.sync();
        s.view.write(data);
        expect(await s.view.read()).toEqual(data);
      }
    });
  });

  it('no shader is compiled per layout: offsets and strides are uniforms', async () => {
    const k = webgpuKernelsOf(be)!;
    const run = async (offset: number, pad: number) => {
      const hidden = 32;
      const x = stridedInput(be, randn(3 * hidden, 171), [3, hidden], offset, hidden + pad, 'f32');
      const w = be.tensor(randn(hidden, 172), [hidden]);
      const y = stridedOutput(be, [3, hidden], offset, hidden + pad, 'f32');
      rmsnorm(x.view, w, { out: y.view });
      const p = packed(be, [{ data: randn(5 * 64, 173), width: 64 }, { data: randn(5 * 32, 174), width: 32 }, { data: randn(5 * 32, 175), width: 32 }], 5, offset, 'f32');
      const [qv, kv, vv] = [4, 2, 2].map((h, i) => be.view(p.base, { shape: [1, 5, h, 16], offset: p.offsets[i], rowStride: p.token }));
      rope(qv, { positions: offset, inPlace: true });
      gqa(qv, kv, vv); // 10 query rows per KV head: flash attention
      gqa(be.view(p.base, { shape: [1, 1, 4, 16], offset: p.offsets[0] }), kv, vv); // flash decoding
      await y.view.read();
    };
    await run(4, 4);
    await run(1, 3);
    const compiled = k.ctx.pipelinesCompiled;
    for (const [offset, pad] of [
      [8, 12],
      [12, 0],
      [3, 1],
      [7, 5],
    ]) {
      await run(offset, pad);
    }
    expect(k.ctx.pipelinesCompiled).toBe(compiled);
  });

  describe('fromGPUBuffer', () => {
    const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

    it('wraps a caller buffer at an offset without copying: ops read and write it; gpuBuffer / gpuOffset name it', async () => {
      const device = webgpuKernelsOf(be)!.ctx.device;
      const buffer = device.createBuffer({ size: 4096, usage: usage() });
      const data = randn(4 * 16, 181);
      const x = be.fromGPUBuffer(buffer, [4, 16], { offset: 256 });
      expect(x.memory).toBe('external');
      expect(x.gpuBuffer).toBe(buffer);
      expect(x.gpuOffset).toBe(256);
      x.write(data);
      const y = be.fromGPUBuffer(buffer, [4, 16], { offset: 1024 });
      const w = be.tensor(new Float32Array(16).fill(1), [16]);
      rmsnorm(x, w, { out: y });
      expect(maxRelError(await y.read(), rmsnormRef(data, new Float32Array(16).fill(1), 16, 1e-6, 0).y).worst).toBeLessThanOrEqual(TOL.f32.rmsnorm);
      // Two wraps of one buffer are one memory to core: an out overlapping x is refused.
      const overlapping = be.fromGPUBuffer(buffer, [4, 16], { offset: 256 + 64 });
      expect(() => rmsnorm(x, w, { out: overlapping })).toThrow(/overlap/);
      x.dispose();
      y.dispose();
      // Disposing a wrapped tensor leaves the buffer to its owner.
      device.queue.writeBuffer(buffer, 0, new Float32Array([1, 2, 3, 4]));
      const again = be.fromGPUBuffer(buffer, [4]);
      expect(Array.from(await again.read())).toEqual([1, 2, 3, 4]);
      buffer.destroy();
    });

    it('works with STORAGE alone (reads and writes take a compute pass instead of the copy engine)', async () => {
      const device = webgpuKernelsOf(be)!.ctx.device;
      // 78 bytes: bound as 76 (a storage binding is a multiple of 4), so 19 f32 elements.
      const buffer = device.createBuffer({ size: 2 * 4 * 9 + 6, usage: GPUBufferUsage.STORAGE });
      const data = randn(9, 182);
      const t = be.fromGPUBuffer(buffer, [9], { offset: 4 });
      t.write(data);
      expect(await t.read()).toEqual(data);
      expect(() => be.fromGPUBuffer(buffer, [9], { offset: 44 })).toThrow(/76 bytes/);
      const out = be.fromGPUBuffer(buffer, [9], { offset: 40 });
      rmsnorm(t, be.tensor(new Float32Array(9).fill(2), [9]), { out });
      expect(maxRelError(await out.read(), rmsnormRef(data, new Float32Array(9).fill(2), 9, 1e-6, 0).y).worst).toBeLessThanOrEqual(TOL.f32.rmsnorm);
      buffer.destroy();
    });

    it('refuses buffers it cannot use, with typed errors', () => {
      const device = webgpuKernelsOf(be)!.ctx.device;
      const noStorage = device.createBuffer({ size: 64, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      expect(() => be.fromGPUBuffer(noStorage, [16])).toThrow(expect.objectContaining({ code: 'E_VALUE', argument: 'buffer.usage' }));
      expect(() => be.fromGPUBuffer(noStorage, [16])).toThrow(/STORAGE.*COPY_SRC.*COPY_DST/);
      const mapped = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
      expect(() => be.fromGPUBuffer(mapped, [16])).toThrow(expect.objectContaining({ code: 'E_VALUE', argument: 'buffer' }));
      mapped.unmap();
      expect(() => be.fromGPUBuffer({ size: 64 } as unknown as GPUBuffer, [16])).toThrow(expect.objectContaining({ code: 'E_VALUE' }));
      const small = device.createBuffer({ size: 64, usage: usage() });
      expect(() => be.fromGPUBuffer(small, [17])).toThrow(expect.objectContaining({ code: 'E_VALUE' }));
      for (const b of [noStorage, mapped, small]) b.destroy();
    });

    it("rejects a buffer of another device: the next read or sync with a typed error, later ops at once; the backend goes on working", async () => {
      const other = await createBackend();
      try {
        const foreign = webgpuKernelsOf(other)!.ctx.device.createBuffer({ size: 256, usage: usage() });
        const t = be.fromGPUBuffer(foreign, [64]);
        const w = be.tensor(new Float32Array(64).fill(1), [64]);
        const y = rmsnorm(t, w);
        await expect(y.read()).rejects.toMatchObject({ code: 'E_VALUE', argument: 'buffer' });
        expect(() => rmsnorm(t, w)).toThrow(/another GPUDevice/);
        await expect(t.read()).rejects.toMatchObject({ code: 'E_VALUE' });
        const x = be.tensor(randn(64, 183), [1, 64]);
        expect(maxRelError(await rmsnorm(x, w).read(), rmsnormRef(randn(64, 183), new Float32Array(64).fill(1), 64, 1e-6, 0).y).worst).toBeLessThanOrEqual(TOL.f32.rmsnorm);
      } finally {
        other.dispose();
      }
    });

    it('dispose destroys the buffers the backend made, never a wrapped one', async () => {
      const device = webgpuKernelsOf(be)!.ctx.device;
      const guest = await createBackend({ device });
      const mine = device.createBuffer({ size: 64, usage: usage() });
      const wrapped = guest.fromGPUBuffer(mine, [16]);
      wrapped.write(randn(16, 184));
      const owned = guest.tensor(randn(16, 185), [16]);
      const ownedBuffer = owned.gpuBuffer as GPUBuffer;
      await guest.sync();
      guest.dispose();
      const errorAfterWrite = async (buffer: GPUBuffer) => {
        device.pushErrorScope('validation');
        device.queue.writeBuffer(buffer, 0, new Float32Array(4));
        return device.popErrorScope();
      };
      expect(await errorAfterWrite(mine)).toBeNull();
      expect((await errorAfterWrite(ownedBuffer))?.message).toMatch(/destroyed/);
      // The caller's buffer still holds what was written through the backend.
      const reader = be.fromGPUBuffer(mine, [16]);
      const values = await reader.read();
      expect(Array.from(values.subarray(4))).toEqual(Array.from(randn(16, 184).subarray(4)));
      mine.destroy();
    });

    it('flush() submits queued ops so a pass submitted next sees their results', async () => {
      const device = webgpuKernelsOf(be)!.ctx.device;
      const x = be.tensor(randn(32, 186), [2, 16]);
      const y = rmsnorm(x, be.tensor(new Float32Array(16).fill(1), [16]));
      const copy = device.createBuffer({ size: 128, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      flush(be);
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(y.gpuBuffer as GPUBuffer, y.gpuOffset ?? 0, copy, 0, 128);
      device.queue.submit([enc.finish()]);
      await copy.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(copy.getMappedRange().slice(0));
      copy.unmap();
      copy.destroy();
      expect(maxRelError(got, rmsnormRef(randn(32, 186), new Float32Array(16).fill(1), 16, 1e-6, 0).y).worst).toBeLessThanOrEqual(TOL.f32.rmsnorm);
    });

    it('refuses a buffer larger than maxStorageBufferBindingSize (tensors are bound whole)', () => {
      // A stand-in: allocating such a buffer would take gigabytes; the size is all that is read.
      const size = webgpuKernelsOf(be)!.ctx.limits.maxStorageBufferBindingSize + 4;
      const big = { size, usage: usage(), mapState: 'unmapped', destroy: () => undefined } as unknown as GPUBuffer;
      expect(() => be.fromGPUBuffer(big, [4])).toThrow(UnsupportedError);
      expect(() => be.fromGPUBuffer(big, [4])).toThrow(/maxStorageBufferBindingSize/);
    });
  });
}
