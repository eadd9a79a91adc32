/**
 * The cpu kernels against the conformance kit's float64 reference
 * (`@llama-ops/conformance/reference`) on small hand-picked cases, through core's public ops
 * (so core's defaults and validation are exercised too); inputs from the kit's seeded
 * generator and errors by its measure (`@llama-ops/conformance/testing`). The shared
 * conformance kit (test/conformance.test.ts) covers the full case matrix.
 */
import { referenceAddRmsnorm, referenceGqa, referenceRmsnorm, referenceRope } from '@llama-ops/conformance/reference';
import { maxRelError, randomArray } from '@llama-ops/conformance/testing';
import { addRmsnorm, createKVCache, gqa, rmsnorm, rope, type Backend, type Tensor } from '@llama-ops/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

let be: Backend;
beforeAll(async () => {
  be = await createBackend();
});

describe('rmsnorm', () => {
  it.each([
    { rows: 3, hidden: 8, eps: 1e-6, weightOffset: 0 },
    { rows: 5, hidden: 13, eps: 1e-5, weightOffset: 0 },
    { rows: 2, hidden: 67, eps: 1e-6, weightOffset: 1 },
  ])('matches the f64 reference: $rows x $hidden, eps $eps, weightOffset $weightOffset', async ({ rows, hidden, eps, weightOffset }) => {
    const x = randomArray(rows * hidden, 1, 3);
    const w = randomArray(hidden, 2);
    const y = await rmsnorm(be.tensor(x, [rows, hidden]), be.tensor(w, [hidden]), { eps, weightOffset }).read();
    const ref = referenceRmsnorm(x, [rows, hidden], w, { eps, weightOffset });
    expect(maxRelError(y, ref)).toBeLessThanOrEqual(1e-5);
  });

  it('residual option adds before normalising, without returning the sum', async () => {
    const [rows, hidden] = [4, 30];
    const x = randomArray(rows * hidden, 3);
    const r = randomArray(rows * hidden, 4);
    const w = randomArray(hidden, 5);
    const y = await rmsnorm(be.tensor(x, [rows, hidden]), be.tensor(w, [hidden]), { residual: be.tensor(r, [rows, hidden]) }).read();
    const ref = referenceRmsnorm(x, [rows, hidden], w, { residual: r });
    expect(maxRelError(y, ref)).toBeLessThanOrEqual(1e-5);
  });

  it('addRmsnorm returns y = rmsnorm(x + residual) and sum = x + residual', async () => {
    const [rows, hidden] = [3, 21];
    const x = randomArray(rows * hidden, 6);
    const r = randomArray(rows * hidden, 7);
    const w = randomArray(hidden, 8);
    const out = addRmsnorm(be.tensor(x, [rows, hidden]), be.tensor(r, [rows, hidden]), be.tensor(w, [hidden]), { weightOffset: 1 });
    const ref = referenceAddRmsnorm(x, r, [rows, hidden], w, { weightOffset: 1 });
    expect(maxRelError(await out.y.read(), ref.y)).toBeLessThanOrEqual(1e-5);
    expect(maxRelError(await out.sum.read(), ref.sum)).toBeLessThanOrEqual(1e-7);
  });

  it('does not overflow for |h| = 1e18 (sum of squares far above float32 range)', async () => {
    const hidden = 64;
    const x = new Float32Array(hidden).map((_, i) => (i % 2 ? 1e18 : -7e17));
    const w = new Float32Array(hidden).fill(0.5);
    const y = await rmsnorm(be.tensor(x, [1, hidden]), be.tensor(w, [hidden])).read();
    const ref = referenceRmsnorm(x, [1, hidden], w);
    expect(y.every(Number.isFinite)).toBe(true);
    expect(maxRelError(y, ref)).toBeLessThanOrEqual(1e-5);
  });
});

describe('rope', () => {
  it.each([
    { interleaved: false, rotaryDim: 16 },
    { interleaved: true, rotaryDim: 16 },
    { interleaved: false, rotaryDim: 6 },
    { interleaved: true, rotaryDim: 10 },
  ])('rotates pairs (interleaved $interleaved, rotaryDim $rotaryDim of 16) from a start offset', async ({ interleaved, rotaryDim }) => {
    const shape = [2, 5, 3, 16];
    const x = randomArray(2 * 5 * 3 * 16, 9, 2);
    const y = await rope(be.tensor(x, shape), { positions: 7, theta: 10000, rotaryDim, interleaved }).read();
    const ref = referenceRope(x, shape, { positions: 7, theta: 10000, rotaryDim, interleaved });
    expect(maxRelError(y, ref, x)).toBeLessThanOrEqual(2e-6);
    // Dims past rotaryDim pass through unchanged.
    for (let i = 0; i < x.length; i++) if (i % 16 >= rotaryDim) expect(y[i]).toBe(x[i]);
  });

  it('uses explicit per-token positions and works in place (large positions)', async () => {
    const shape = [2, 3, 2, 8];
    const x = randomArray(2 * 3 * 2 * 8, 10);
    const positions = Int32Array.from([0, 5, 131072, 3, 1000000, 2]);
    const t = be.tensor(x, shape);
    const r = rope(t, { positions, theta: 500000, rotaryDim: 6, inPlace: true });
    expect(r).toBe(t);
    const ref = referenceRope(x, shape, { positions, theta: 500000, rotaryDim: 6 });
    expect(maxRelError(await t.read(), ref, x)).toBeLessThanOrEqual(2e-6);
  });
});

interface GqaCase {
  batch: number;
  seqQ: number;
  seqKV: number;
  Hq: number;
  Hkv: number;
  d: number;
  dv?: number;
  causal?: boolean;
  kvLength?: number[];
  queryOffset?: number[];
  window?: number;
  softcap?: number;
  scale?: number;
  mask?: [number, number];
  sinks?: boolean;
}

async function runGqa(c: GqaCase, seed: number): Promise<{ got: Float32Array; want: Float64Array; vMax: number }> {
  const { batch, seqQ, seqKV, Hq, Hkv, d } = c;
  const dv = c.dv ?? d;
  const q = randomArray(batch * seqQ * Hq * d, seed, 2);
  const k = randomArray(batch * seqKV * Hkv * d, seed + 1, 2);
  const v = randomArray(batch * seqKV * Hkv * dv, seed + 2, 3);
  // Entries past kvLength are garbage a kernel must never read.
  for (let b = 0; b < batch; b++) {
    const len = c.kvLength?.[b] ?? seqKV;
    k.fill(NaN, (b * seqKV + len) * Hkv * d, (b + 1) * seqKV * Hkv * d);
    v.fill(NaN, (b * seqKV + len) * Hkv * dv, (b + 1) * seqKV * Hkv * dv);
  }
  let mask: Float32Array | null = null;
  let maskT: Tensor | undefined;
  if (c.mask) {
    mask = randomArray(c.mask[0] * c.mask[1] * seqQ * seqKV, seed + 3, 2);
    mask.forEach((_, i) => {
      if (i % 7 === 3) mask![i] = -Infinity;
    });
    maskT = be.tensor(mask, [c.mask[0], c.mask[1], seqQ, seqKV]);
  }
  const sinks = c.sinks ? randomArray(Hq, seed + 4, 3) : null;
  const options = { causal: c.causal, kvLength: c.kvLength, queryOffset: c.queryOffset, window: c.window, softcap: c.softcap, scale: c.scale };
  const o = gqa(be.tensor(q, [batch, seqQ, Hq, d]), be.tensor(k, [batch, seqKV, Hkv, d]), be.tensor(v, [batch, seqKV, Hkv, dv]), {
    ...options,
    mask: maskT,
    sinks: sinks ? be.tensor(sinks, [Hq]) : undefined,
  });
  let vMax = 0;
  for (const x of v) if (Number.isFinite(x)) vMax = Math.max(vMax, Math.abs(x));
  const want = referenceGqa(q, k, v, { q: [batch, seqQ, Hq, d], k: [batch, seqKV, Hkv, d], v: [batch, seqKV, Hkv, dv] }, {
    ...options,
    mask: mask && c.mask ? { data: mask, shape: [c.mask[0], c.mask[1], seqQ, seqKV] } : undefined,
    sinks: sinks ?? undefined,
  });
  return { got: await o.read(), want, vMax };
}

describe('gqa', () => {
  const cases: Array<[string, GqaCase]> = [
    ['causal prefill, GQA 4:2', { batch: 1, seqQ: 9, seqKV: 9, Hq: 4, Hkv: 2, d: 8 }],
    ['non-causal, MHA', { batch: 2, seqQ: 5, seqKV: 7, Hq: 3, Hkv: 3, d: 5, causal: false }],
    ['MQA, dv != d, custom scale', { batch: 1, seqQ: 6, seqKV: 6, Hq: 4, Hkv: 1, d: 6, dv: 11, scale: 0.3 }],
    ['long causal prefill across key blocks', { batch: 1, seqQ: 150, seqKV: 150, Hq: 2, Hkv: 1, d: 4 }],
    ['decode over a cache with ragged kvLength', { batch: 2, seqQ: 1, seqKV: 200, Hq: 8, Hkv: 2, d: 8, kvLength: [200, 77] }],
    ['speculative queries at the end of the cache', { batch: 2, seqQ: 3, seqKV: 70, Hq: 4, Hkv: 2, d: 8, kvLength: [70, 10] }],
    ['explicit queryOffset, rows with no visible key', { batch: 1, seqQ: 6, seqKV: 8, Hq: 2, Hkv: 1, d: 4, queryOffset: [-3] }],
    ['sliding window', { batch: 1, seqQ: 140, seqKV: 140, Hq: 4, Hkv: 2, d: 8, window: 17 }],
    ['window over a cache (decode)', { batch: 1, seqQ: 1, seqKV: 300, Hq: 2, Hkv: 1, d: 8, kvLength: [260], window: 100 }],
    ['softcap', { batch: 1, seqQ: 7, seqKV: 7, Hq: 2, Hkv: 1, d: 8, softcap: 1.5, scale: 2 }],
    ['mask [1, 1, ...] broadcast', { batch: 2, seqQ: 5, seqKV: 5, Hq: 4, Hkv: 2, d: 4, mask: [1, 1], causal: false }],
    ['mask [batch, Hq, ...], causal, softcap', { batch: 2, seqQ: 5, seqKV: 9, Hq: 4, Hkv: 2, d: 4, mask: [2, 4], softcap: 2 }],
    ['mask [1, Hq, ...]', { batch: 2, seqQ: 4, seqKV: 4, Hq: 2, Hkv: 1, d: 4, mask: [1, 2] }],
    ['sinks', { batch: 1, seqQ: 70, seqKV: 70, Hq: 4, Hkv: 2, d: 8, sinks: true }],
    ['sinks with rows that see nothing', { batch: 1, seqQ: 4, seqKV: 4, Hq: 2, Hkv: 2, d: 4, sinks: true, queryOffset: [-2] }],
    ['groups of 3 query heads (odd group), across query tiles', { batch: 1, seqQ: 40, seqKV: 45, Hq: 6, Hkv: 2, d: 5, dv: 3 }],
    ['huge logits (scale 1000) stay finite', { batch: 1, seqQ: 33, seqKV: 300, Hq: 4, Hkv: 1, d: 8, scale: 1000, causal: false }],
    ['kvLength 0', { batch: 1, seqQ: 2, seqKV: 4, Hq: 2, Hkv: 1, d: 4, kvLength: [0] }],
  ];
  it.each(cases)('%s matches the f64 reference', async (_name, c) => {
    const { got, want, vMax } = await runGqa(c, 11);
    expect(got.every(Number.isFinite)).toBe(true);
    expect(maxRelError(got, want, vMax)).toBeLessThanOrEqual(1e-4);
  });

  it('a query row with no visible key is all zeros', async () => {
    const c: GqaCase = { batch: 1, seqQ: 3, seqKV: 3, Hq: 2, Hkv: 1, d: 4, queryOffset: [-1] };
    const { got } = await runGqa(c, 3);
    expect(Array.from(got.subarray(0, 2 * 4))).toEqual(new Array(8).fill(0));
  });

  it('a NaN in a visible key makes exactly the rows that see it NaN', async () => {
    const [seq, Hq, d] = [200, 4, 4];
    const k = randomArray(seq * d, 21);
    k[150 * d + 1] = NaN;
    const o = await gqa(be.tensor(randomArray(seq * Hq * d, 20), [1, seq, Hq, d]), be.tensor(k, [1, seq, 1, d]), be.tensor(randomArray(seq * d, 22), [1, seq, 1, d])).read();
    for (let i = 0; i < seq; i++) {
      const row = Array.from(o.subarray(i * Hq * d, (i + 1) * Hq * d));
      expect(row.every(i < 150 ? Number.isFinite : Number.isNaN)).toBe(true);
    }
  });

  it('rows whose mask is all -Infinity are zeros, not NaN', async () => {
    const [seqQ, seqKV] = [2, 3];
    const mask = new Float32Array(seqQ * seqKV).fill(-Infinity);
    mask[3] = 0; // row 1 sees key 0 only
    const v = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const o = gqa(be.tensor(randomArray(seqQ * 2, 1), [1, seqQ, 1, 2]), be.tensor(randomArray(seqKV * 2, 2), [1, seqKV, 1, 2]), be.tensor(v, [1, seqKV, 1, 2]), {
      causal: false,
      mask: be.tensor(mask, [1, 1, seqQ, seqKV]),
    });
    expect(Array.from(await o.read())).toEqual([0, 0, 1, 2]);
  });

  it('mask values <= -1e30 count as masked (SPEC): finfo.min on every key gives zeros, on all but one key that value; -1e30 masks in decode too', async () => {
    const FINFO_MIN = -3.4028234663852886e38;
    const [seqQ, seqKV] = [3, 3];
    const mask = new Float32Array(seqQ * seqKV).fill(FINFO_MIN);
    mask[3] = 0; // row 1 sees key 0 only
    mask[6 + 2] = 0.5; // row 2: key 2, and key 1 at exactly -1e30
    mask[6 + 1] = -1e30;
    const v = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const o = gqa(be.tensor(randomArray(seqQ * 2, 1), [1, seqQ, 1, 2]), be.tensor(randomArray(seqKV * 2, 2), [1, seqKV, 1, 2]), be.tensor(v, [1, seqKV, 1, 2]), {
      causal: false,
      mask: be.tensor(mask, [1, 1, seqQ, seqKV]),
    });
    expect(Array.from(await o.read())).toEqual([0, 0, 1, 2, 5, 6]);
    // Decode with a softcap (the softcap + mask branch), every key at finfo.min: zeros.
    const d = gqa(be.tensor(randomArray(4, 3), [1, 1, 2, 2]), be.tensor(randomArray(10, 4), [1, 5, 1, 2]), be.tensor(randomArray(10, 5), [1, 5, 1, 2]), {
      softcap: 30,
      mask: be.tensor(new Float32Array(5).fill(FINFO_MIN), [1, 1, 1, 5]),
    });
    expect(Array.from(await d.read())).toEqual([0, 0, 0, 0]);
  });
});

describe('memory and copy', () => {
  it('read returns a copy and upload takes one', async () => {
    const data = Float32Array.from([1, 2, 3]);
    const t = be.tensor(data, [3]);
    data[0] = 9;
    const a = await t.read();
    a[1] = 7;
    expect(Array.from(await t.read())).toEqual([1, 2, 3]);
  });

  it('reuses freed large arrays zero-filled (allocate) or overwritten (upload)', async () => {
    const n = 1 << 17; // 512 KiB: large enough to be pooled
    const a = be.tensor(new Float32Array(n).fill(3), [n]);
    a.dispose();
    const b = be.empty([n]);
    expect((await b.read()).every((x) => x === 0)).toBe(true);
    b.dispose();
    const data = randomArray(n, 12);
    const c = be.tensor(data, [n]);
    expect(await c.read()).toEqual(data);
  });

  it('KV-cache append copies on the backend, then decode attends over it', async () => {
    const cache = createKVCache(be, { batch: 2, capacity: 5, kvHeads: 1, headDim: 2 });
    cache.append(be.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]), be.tensor([1, 1, 2, 2, 3, 3, 4, 4], [2, 2, 1, 2]));
    cache.append(be.tensor([9, 10, 11, 12], [2, 1, 1, 2]), be.tensor([5, 5, 6, 6], [2, 1, 1, 2]));
    expect(Array.from(await cache.k.read())).toEqual([1, 2, 3, 4, 9, 10, 0, 0, 0, 0, 5, 6, 7, 8, 11, 12, 0, 0, 0, 0]);
    const o = await gqa(be.tensor(new Float32Array(4), [2, 1, 1, 2]), cache.k, cache.v, { kvLength: cache.length }).read();
    // Zero queries give uniform attention over the 3 valid entries.
    expect(Array.from(o)).toEqual([(1 + 2 + 5) / 3, (1 + 2 + 5) / 3, (3 + 4 + 6) / 3, (3 + 4 + 6) / 3].map(Math.fround));
  });

  it('declares its capabilities', () => {
    expect(be.name).toBe('cpu');
    expect(be.capabilities).toEqual({ dtypes: ['f32'], threads: 1, views: true });
  });
});
