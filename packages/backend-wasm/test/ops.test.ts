/**
 * Each op and option of SPEC.md against the float64 reference, on one thread and on two
 * (shapes marked "threaded" are large enough for the pool to be used).
 */
import { referenceAddRmsnorm, referenceGqa, referenceRmsnorm, referenceRope } from '@llama-ops/conformance/reference';
import { addRmsnorm, gqa, rmsnorm, rope, type Backend } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError, random } from './util.js';

interface GqaCaseOptions {
  scale?: number;
  causal?: boolean;
  kvLength?: number[];
  queryOffset?: number[];
  window?: number;
  softcap?: number;
  sinks?: number[];
}

const RMSNORM_TOL = 1e-5;
const ROPE_TOL = 2e-6;
const GQA_TOL = 1e-4;

describe.each([1, 2])('wasm backend, %i thread(s)', (threads) => {
  let be: Backend;
  beforeAll(async () => {
    be = await createBackend({ threads });
  });
  afterAll(() => be.dispose());

  describe('rmsnorm', () => {
    it.each([
      ['hidden 37 (scalar tail), eps 1e-5', 3, 37, 1e-5, 0],
      ['hidden 4096', 4, 4096, 1e-6, 0],
      ['Gemma weightOffset 1', 2, 64, 1e-6, 1],
      ['[256, 4096] (threaded)', 256, 4096, 1e-6, 0],
    ])('%s matches the reference', async (_name, rows, hidden, eps, weightOffset) => {
      const x = random(rows * hidden, 1, 3);
      const w = random(hidden, 2);
      const y = await rmsnorm(be.tensor(x, [rows, hidden]), be.tensor(w, [hidden]), { eps, weightOffset }).read();
      expect(maxRelError(y, referenceRmsnorm(x, [rows, hidden], w, { eps, weightOffset }))).toBeLessThanOrEqual(RMSNORM_TOL);
    });

    it('adds the residual first when given one', async () => {
      const [rows, hidden] = [5, 100];
      const x = random(rows * hidden, 3);
      const r = random(rows * hidden, 4);
      const w = random(hidden, 5);
      const y = await rmsnorm(be.tensor(x, [rows, hidden]), be.tensor(w, [hidden]), { residual: be.tensor(r, [rows, hidden]) }).read();
      expect(maxRelError(y, referenceRmsnorm(x, [rows, hidden], w, { residual: r }))).toBeLessThanOrEqual(RMSNORM_TOL);
    });

    it('addRmsnorm returns the normalised sum and the sum x + residual', async () => {
      for (const [rows, hidden] of [
        [3, 48],
        [128, 4096],
      ]) {
        const x = random(rows * hidden, 6);
        const r = random(rows * hidden, 7);
        const w = random(hidden, 8);
        const { y, sum } = addRmsnorm(be.tensor(x, [rows, hidden]), be.tensor(r, [rows, hidden]), be.tensor(w, [hidden]));
        const ref = referenceAddRmsnorm(x, r, [rows, hidden], w);
        expect(maxRelError(await y.read(), ref.y)).toBeLessThanOrEqual(RMSNORM_TOL);
        const h = await sum.read();
        // x + residual is one f32 addition: the f32 rounding of the exact sum, to the bit
        // (a loop: deep-equal of 512K values is slow).
        let mismatches = 0;
        for (let i = 0; i < h.length; i++) if (h[i] !== Math.fround(ref.sum[i])) mismatches++;
        expect(mismatches).toBe(0);
      }
    });

    it('does not overflow for |h| up to 1e18 (and beyond, to f32 max)', async () => {
      const hidden = 4096;
      for (const scale of [1e18, 3e38]) {
        const x = random(2 * hidden, 9, scale);
        const w = random(hidden, 10);
        const y = await rmsnorm(be.tensor(x, [2, hidden]), be.tensor(w, [hidden])).read();
        expect(y.every(Number.isFinite)).toBe(true);
        expect(maxRelError(y, referenceRmsnorm(x, [2, hidden], w))).toBeLessThanOrEqual(RMSNORM_TOL);
      }
    });
  });

  describe('rope', () => {
    const cases: Array<[string, number[], { rotaryDim?: number; interleaved?: boolean; theta?: number }]> = [
      ['rotate-half', [2, 5, 3, 16], {}],
      ['interleaved', [2, 5, 3, 16], { interleaved: true }],
      ['partial rotary, rotate-half (dims 8..12 pass through)', [1, 4, 2, 12], { rotaryDim: 8 }],
      ['partial rotary, interleaved', [1, 4, 2, 12], { rotaryDim: 8, interleaved: true }],
      ['3 pairs (scalar tail), theta 500000', [1, 3, 2, 6], { theta: 500000 }],
      ['3 pairs interleaved', [1, 3, 2, 6], { interleaved: true }],
      ['[1, 512, 32, 128] (threaded)', [1, 512, 32, 128], {}],
    ];
    it.each(cases)('%s matches the reference at positions start + s', async (_name, shape, opts) => {
      const x = random(shape.reduce((a, b) => a * b), 11);
      const y = await rope(be.tensor(x, shape), { ...opts, positions: 7 }).read();
      expect(maxRelError(y, referenceRope(x, shape, { ...opts, positions: 7 }), x)).toBeLessThanOrEqual(ROPE_TOL);
    });

    it('takes explicit per-token positions, up to 2^20 - 1', async () => {
      const shape = [2, 3, 2, 8];
      const positions = Int32Array.from([0, 5, 1048575, 3, 131072, 9]);
      const x = random(96, 12);
      for (const interleaved of [false, true]) {
        const y = await rope(be.tensor(x, shape), { positions, interleaved }).read();
        expect(maxRelError(y, referenceRope(x, shape, { positions, interleaved }), x)).toBeLessThanOrEqual(ROPE_TOL);
      }
    });

    it('rotates in place when asked, returning x itself', async () => {
      const shape = [1, 6, 2, 12];
      const x = random(144, 13);
      const t = be.tensor(x, shape);
      const y = rope(t, { inPlace: true, positions: 3, rotaryDim: 8 });
      expect(y).toBe(t);
      const ref = referenceRope(x, shape, { positions: 3, rotaryDim: 8 });
      expect(maxRelError(await t.read(), ref, x)).toBeLessThanOrEqual(ROPE_TOL);
    });

    it('gives the same result when the cached table is reused', async () => {
      const x = random(2 * 4 * 32, 14);
      const a = await rope(be.tensor(x, [1, 2, 4, 32]), { positions: 100 }).read();
      const b = await rope(be.tensor(x, [1, 2, 4, 32]), { positions: 100 }).read();
      expect(b).toEqual(a);
    });
  });

  describe('gqa', () => {
    interface Case {
      q: number[]; // [batch, seqQ, Hq, d]
      kv: number[]; // [seqKV, Hkv, dv]
      opts?: GqaCaseOptions;
      garbage?: boolean; // NaN past kvLength
    }
    const cases: Array<[string, Case]> = [
      ['causal prefill, GQA 8/2', { q: [1, 20, 8, 16], kv: [20, 2, 16] }],
      ['non-causal', { q: [1, 7, 4, 8], kv: [11, 2, 8], opts: { causal: false } }],
      ['MHA (Hkv = Hq)', { q: [1, 9, 3, 8], kv: [9, 3, 8] }],
      ['MQA with 48 query heads (split into head chunks)', { q: [1, 3, 48, 8], kv: [5, 1, 8] }],
      ['decode over a cache with NaN past kvLength', { q: [1, 1, 8, 64], kv: [300, 2, 64], opts: { kvLength: [257] }, garbage: true }],
      // Tiles under 16 rows (scoresDimLanes: 4 rows × 2 keys, dims in the lanes): 4, 8 and
      // 12 rows, an odd key count (one key left past the pairs), 3-head groups (a zero
      // padding row), d % 4 = 1 and 3 (the zero-padded chunk), and 2 queries of a
      // speculative block in one tile (rows at two positions).
      ['decode, 4-head groups, d 64, 130 keys', { q: [1, 1, 8, 64], kv: [130, 2, 64] }],
      ['decode, 8-head groups, 131 keys', { q: [1, 1, 16, 32], kv: [131, 2, 32] }],
      ['decode, 12-head groups, 39 keys', { q: [1, 1, 24, 16], kv: [39, 2, 16] }],
      ['decode, 3-head groups, d 7, 33 keys', { q: [1, 1, 6, 7], kv: [33, 2, 7] }],
      ['decode, 4-head groups, d 5, 129 keys past kvLength garbage', { q: [1, 1, 8, 5], kv: [140, 2, 5], opts: { kvLength: [129] }, garbage: true }],
      ['2 queries × 4-head groups (8 rows at two positions), d 12', { q: [1, 2, 8, 12], kv: [67, 2, 12] }],
      // One or two rows left in a group of 4 (scoresOneRow) and rows without a partner in
      // P·V (accumulateTail: 4 keys at a time, then 1; scalar dims past the vectors).
      ['MHA decode, d 128, 131 keys', { q: [1, 1, 4, 128], kv: [131, 4, 128] }],
      ['MHA decode, d 7, dv 6, 67 keys', { q: [1, 1, 2, 7], kv: [67, 2, 6] }],
      ['decode, 2-head groups, 38 keys', { q: [1, 1, 4, 16], kv: [38, 2, 16] }],
      ['decode, 5-head groups (4 rows + 1), d 12, 45 keys', { q: [1, 1, 10, 12], kv: [45, 2, 12] }],
      ['decode, 6-head groups (4 rows + 2), 70 keys', { q: [1, 1, 12, 8], kv: [70, 2, 8] }],
      ['MHA prefill with a window (rows alone in masked blocks), dv 9', { q: [1, 40, 3, 8], kv: [40, 3, 9], opts: { window: 7 } }],
      // Block-major order: one query tile per KV head (or head chunk) and at least 16 MiB of
      // visible K/V, hence these sizes, for any distance between one head's K rows (2 KiB at
      // 32/8/64 and 1 KiB at 32/4/64 took one strided pass per head before issue 18). Key blocks of 32-128 keys across
      // all tiles, NaN past kvLength, ragged batches (tiles that run out of keys early), a
      // window (blocks from jStart), a causal block of queries, sinks and softcap; on 2
      // threads each grab is half the tiles.
      ['block-major decode 32/8/128, NaN past kvLength 2300', { q: [1, 1, 32, 128], kv: [2400, 8, 128], opts: { kvLength: [2300] }, garbage: true }],
      ['block-major decode, ragged batch [41, 2300], MHA 8/8/128', { q: [2, 1, 8, 128], kv: [2400, 8, 128], opts: { kvLength: [41, 2300] }, garbage: true }],
      ['block-major decode, MHA 32/32/128, window 520 of 700 keys', { q: [1, 1, 32, 128], kv: [700, 32, 128], opts: { window: 520 } }],
      ['block-major causal block of 3 queries × 4-head groups', { q: [1, 3, 32, 128], kv: [2100, 8, 128] }],
      ['block-major decode 32/8/64 (2 KiB rows), NaN past kvLength 4100', { q: [1, 1, 32, 64], kv: [4200, 8, 64], opts: { kvLength: [4100] }, garbage: true }],
      ['block-major decode 32/4/64 (1 KiB rows), ragged batch [100, 8200]', { q: [2, 1, 32, 64], kv: [8300, 4, 64], opts: { kvLength: [100, 8200] }, garbage: true }],
      ['block-major decode 32/8/64, window 4200 of 4400 keys', { q: [1, 1, 32, 64], kv: [4400, 8, 64], opts: { window: 4200 } }],
      ['block-major decode, batch 3 ragged [700, 600, 900] (on 2 threads a grab ends and starts mid-batch: streamed head ranges)', { q: [3, 1, 32, 128], kv: [900, 8, 128], opts: { kvLength: [700, 600, 900] }, garbage: true }],
      ['block-major decode with sinks and softcap, dv 96', { q: [1, 1, 16, 128], kv: [2400, 8, 96], opts: { softcap: 30, sinks: Array.from({ length: 16 }, (_, i) => i / 4 - 2) } }],
      // Tiles of 16+ rows with rows left past the 16-row blocks: 24 (16 + 8) and 28 (16 + 8 + 4).
      ['prefill, 12-head groups (24-row tiles), 133 keys', { q: [1, 133, 24, 16], kv: [133, 2, 16] }],
      ['prefill, 7-head groups (28-row tiles)', { q: [1, 6, 14, 8], kv: [6, 2, 8] }],
      ['speculative block of 3 queries at the end of a ragged batch', { q: [2, 3, 4, 16], kv: [90, 2, 16], opts: { kvLength: [90, 41] }, garbage: true }],
      ['explicit queryOffset', { q: [2, 4, 2, 8], kv: [30, 1, 8], opts: { kvLength: [30, 20], queryOffset: [10, 0] } }],
      ['sliding window 33 over several key blocks', { q: [1, 70, 4, 16], kv: [150, 2, 16], opts: { window: 33 } }],
      ['window of 1 (each query sees only itself)', { q: [1, 5, 2, 4], kv: [5, 1, 4], opts: { window: 1 } }],
      ['softcap 5 with scores well past it', { q: [1, 6, 4, 16], kv: [6, 2, 16], opts: { softcap: 5, scale: 2 } }],
      ['sinks', { q: [1, 5, 4, 8], kv: [5, 2, 8], opts: { sinks: [0.5, -1, 2, 0] } }],
      ['dv != d, d not a multiple of 4', { q: [1, 5, 4, 6], kv: [7, 2, 5], opts: { causal: false } }],
      ['dv 40 (16-wide blocks + 4-wide tail)', { q: [1, 3, 2, 8], kv: [9, 1, 40] }],
      ['custom scale', { q: [1, 4, 2, 8], kv: [4, 2, 8], opts: { scale: 0.05 } }],
      ['rows with no visible key are zeros (queryOffset -3, causal)', { q: [1, 5, 2, 8], kv: [5, 1, 8], opts: { queryOffset: [-3] } }],
      ['kvLength 0 gives zeros, with sinks too', { q: [1, 2, 2, 8], kv: [4, 1, 8], opts: { kvLength: [0], sinks: [1, 2] }, garbage: true }],
      ['prefill 32/8/64 over 256 keys (threaded)', { q: [1, 256, 32, 64], kv: [256, 8, 64] }],
    ];

    it.each(cases)('%s matches the reference', async (_name, c) => {
      const [batch, seqQ, hq, d] = c.q;
      const [seqKV, hkv, dv] = c.kv;
      const q = random(batch * seqQ * hq * d, 21, 2);
      const k = random(batch * seqKV * hkv * d, 22, 2);
      const v = random(batch * seqKV * hkv * dv, 23);
      if (c.garbage) {
        const lengths = c.opts?.kvLength ?? [];
        for (let b = 0; b < batch; b++) {
          for (let j = lengths[b] ?? seqKV; j < seqKV; j++) {
            k.fill(NaN, ((b * seqKV + j) * hkv) * d, ((b * seqKV + j + 1) * hkv) * d);
            v.fill(NaN, ((b * seqKV + j) * hkv) * dv, ((b * seqKV + j + 1) * hkv) * dv);
          }
        }
      }
      const o = c.opts ?? {};
      const out = await gqa(be.tensor(q, c.q), be.tensor(k, [batch, seqKV, hkv, d]), be.tensor(v, [batch, seqKV, hkv, dv]), {
        scale: o.scale,
        causal: o.causal,
        kvLength: o.kvLength,
        queryOffset: o.queryOffset,
        window: o.window,
        softcap: o.softcap,
        sinks: o.sinks ? be.tensor(Float32Array.from(o.sinks), [hq]) : undefined,
      }).read();
      const ref = referenceGqa(q, k, v, { q: c.q, k: [batch, seqKV, hkv, d], v: [batch, seqKV, hkv, dv] }, o);
      expect(out.every(Number.isFinite)).toBe(true);
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL); // max|v| <= 1
      if (_name.includes('zeros')) expect(out.slice(0, 3 * hq * dv).every((x) => x === 0)).toBe(true);
    });

    it.each([
      ['broadcast over batch and heads [1, 1, Sq, Skv]', 1, 1],
      ['per batch and head [B, Hq, Sq, Skv], with -Inf entries', 2, 4],
    ])('additive mask %s', async (_name, mb, mh) => {
      const [batch, seqQ, hq, d, seqKV, hkv] = [2, 6, 4, 8, 10, 2];
      const q = random(batch * seqQ * hq * d, 31);
      const k = random(batch * seqKV * hkv * d, 32);
      const v = random(batch * seqKV * hkv * d, 33);
      const m = random(mb * mh * seqQ * seqKV, 34, 3);
      if (mh > 1) for (let i = 0; i < m.length; i += 7) m[i] = -Infinity;
      const out = await gqa(be.tensor(q, [batch, seqQ, hq, d]), be.tensor(k, [batch, seqKV, hkv, d]), be.tensor(v, [batch, seqKV, hkv, d]), {
        causal: false,
        mask: be.tensor(m, [mb, mh, seqQ, seqKV]),
      }).read();
      const shapes = { q: [batch, seqQ, hq, d], k: [batch, seqKV, hkv, d], v: [batch, seqKV, hkv, d] };
      const ref = referenceGqa(q, k, v, shapes, { causal: false, mask: { data: m, shape: [mb, mh, seqQ, seqKV] } });
      expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(GQA_TOL);
    });

    it.each([
      ['MHA, causal', [1, 12, 2, 8], [12, 2, 8], {}],
      ['GQA 8/2, causal', [1, 12, 8, 8], [12, 2, 8], {}],
      ['GQA 6/2 (3 heads per group), window 4', [1, 12, 6, 8], [12, 2, 8], { window: 4 }],
    ] as const)('a NaN in v reaches exactly the rows that see its key (%s)', async (_name, qShape, [seqKV, hkv, dv], opts) => {
      const [batch, seqQ, hq, d] = qShape;
      const q = random(batch * seqQ * hq * d, 41);
      const k = random(batch * seqKV * hkv * d, 42);
      const v = random(batch * seqKV * hkv * dv, 43);
      v[(5 * hkv + 0) * dv + 3] = NaN; // key 5, KV head 0: seen by queries 5.. (and, with window 4, up to 8)
      const out = await gqa(be.tensor(q, qShape), be.tensor(k, [batch, seqKV, hkv, d]), be.tensor(v, [batch, seqKV, hkv, dv]), opts).read();
      const ref = referenceGqa(q, k, v, { q: qShape, k: [batch, seqKV, hkv, d], v: [batch, seqKV, hkv, dv] }, opts);
      let nan = 0;
      for (let i = 0; i < ref.length; i++) {
        if (Number.isNaN(ref[i])) {
          nan++;
          expect(out[i]).toBeNaN();
        } else expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(GQA_TOL);
      }
      expect(nan).toBeGreaterThan(0);
      expect(nan).toBeLessThan(ref.length / 2);
    });

    it('a row whose mask is -Inf everywhere outputs zeros', async () => {
      const m = new Float32Array(2 * 3).fill(0);
      m.fill(-Infinity, 0, 3); // query 0 sees nothing
      const q = random(2 * 2 * 4, 35);
      const kv = random(3 * 4, 36);
      const out = await gqa(be.tensor(q, [1, 2, 2, 4]), be.tensor(kv, [1, 3, 1, 4]), be.tensor(kv, [1, 3, 1, 4]), {
        causal: false,
        mask: be.tensor(m, [1, 1, 2, 3]),
      }).read();
      expect(Array.from(out.slice(0, 8))).toEqual(new Array(8).fill(0));
      expect(out.slice(8).some((x) => x !== 0)).toBe(true);
    });
  });
});
