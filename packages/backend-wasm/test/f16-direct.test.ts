/**
 * f16 K/V read by the GQA kernels themselves (issue #18): no f32 copy of the cache. Checked
 * against the float64 reference of the f16-rounded data (SPEC's f16 tolerance, 5e-3) on
 * each path src/gqa.ts can take with f16 K/V: decode tiles converting in registers (one
 * row: MHA; 4-row groups), block-major decode over >= 16 MiB of f16 K/V, 32-row tiles
 * (MQA) widening each key block, a prefill whose gqaPack widens into the pack, a ragged
 * batch, window, sinks, softcap, mask; 1 and 2 threads. Then K/V holding Inf, NaN, ±65504,
 * subnormal halves and -0: the direct path must give what the staged path gives (the call
 * reruns staged when a kernel flags an Inf/NaN half), NaN-ness included.
 */
import { referenceGqa } from '@llama-ops/conformance/reference';
import { randomArray } from '@llama-ops/conformance/testing';
import { float16BitsToFloat32, float32ToFloat16Bits, gqa, type Backend } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError } from './util.js';

const TOL = 5e-3;

interface Run {
  kernel: string;
  pooled: boolean;
  detail?: { blockMajor?: boolean; packed?: boolean; tileRows?: number; kvHalf?: boolean };
}

const half = (x: Float32Array) => x.map((v) => float16BitsToFloat32(float32ToFloat16Bits(v)));

describe.each([
  ['1 thread', 1],
  ['2 threads, every kernel on the pool', 2],
])('f16 K/V read directly by the GQA kernels (%s)', (_name, threads) => {
  let be: Backend;
  const runs: Run[] = [];
  beforeAll(async () => {
    be = await createBackend({ threads, minParallelWork: 0 });
    (be.kernels as unknown as { trace: ((r: Run) => void) | null }).trace = (r) => runs.push(r);
  });
  afterAll(() => be.dispose());

  interface Shape {
    b?: number;
    sq: number;
    skv: number;
    hq: number;
    hkv: number;
    d: number;
  }
  interface Opts {
    kvLength?: number[];
    window?: number;
    softcap?: number;
    sinks?: number[];
    mask?: boolean;
  }

  /** f16 GQA on (k, v) data, returning the output, the reference and the gqa runs traced. */
  function attend(shape: Shape, opts: Opts = {}, kv?: { k: Float32Array; v: Float32Array }, seed = 1) {
    const { sq, skv, hq, hkv, d } = shape;
    const b = shape.b ?? 1;
    const q = half(randomArray(b * sq * hq * d, `q${seed}`));
    const k = kv ? kv.k : half(randomArray(b * skv * hkv * d, `k${seed}`));
    const v = kv ? kv.v : half(randomArray(b * skv * hkv * d, `v${seed}`));
    const mask = opts.mask ? half(randomArray(sq * skv, `m${seed}`)) : undefined;
    const shapes = { q: [b, sq, hq, d], k: [b, skv, hkv, d], v: [b, skv, hkv, d] };
    const dtype = 'f16' as const;
    runs.length = 0;
    const out = gqa(be.tensor(q, shapes.q, { dtype }), be.tensor(k, shapes.k, { dtype }), be.tensor(v, shapes.v, { dtype }), {
      causal: true,
      kvLength: opts.kvLength ? Int32Array.from(opts.kvLength) : undefined,
      window: opts.window,
      softcap: opts.softcap,
      mask: mask ? be.tensor(mask, [1, 1, sq, skv], { dtype }) : undefined,
      sinks: opts.sinks ? be.tensor(Float32Array.from(opts.sinks), [hq], { dtype }) : undefined,
    }).readSync!();
    const ref = referenceGqa(q, k, v, shapes, {
      causal: true,
      kvLength: opts.kvLength,
      window: opts.window,
      softcap: opts.softcap,
      sinks: opts.sinks ? Array.from(half(Float32Array.from(opts.sinks))) : undefined,
      mask: mask ? { data: Array.from(mask), shape: [1, 1, sq, skv] } : undefined,
    });
    return { out, ref, gqaRuns: runs.filter((r) => r.kernel === 'gqa') };
  }

  it.each<[string, Shape, Opts, (r: Run) => boolean]>([
    ['MHA decode (one-row tiles)', { sq: 1, skv: 300, hq: 4, hkv: 4, d: 64 }, {}, (r) => (r.detail?.tileRows ?? 0) === 1],
    ['GQA decode (4-row tiles), d 66 (tails)', { sq: 1, skv: 257, hq: 8, hkv: 2, d: 66 }, {}, (r) => (r.detail?.tileRows ?? 0) === 4],
    // On 2 threads the group's heads are split into tiles under 16 rows (in registers).
    ['MQA decode (32-row tiles on 1 thread: key blocks widened)', { sq: 1, skv: 200, hq: 32, hkv: 1, d: 32 }, {}, (r) => threads === 2 || (r.detail?.tileRows ?? 0) >= 16],
    ['prefill (gqaPack widens into the pack)', { sq: 40, skv: 40, hq: 8, hkv: 2, d: 32 }, {}, (r) => r.detail?.packed === true],
    ['ragged batch, decode', { b: 3, sq: 1, skv: 50, hq: 6, hkv: 2, d: 16 }, { kvLength: [50, 7, 0] }, () => true],
    ['window and softcap, decode', { sq: 1, skv: 400, hq: 4, hkv: 2, d: 8 }, { window: 130, softcap: 5 }, () => true],
    ['sinks and a mask, 3-query block', { sq: 3, skv: 90, hq: 4, hkv: 4, d: 20 }, { sinks: [0.5, -1, 2, 0], mask: true }, () => true],
  ])('%s: within 5e-3 of the reference, K/V read as f16', (_n, shape, opts, path) => {
    const { out, ref, gqaRuns } = attend(shape, opts);
    expect(maxRelError(out, ref)).toBeLessThan(TOL);
    expect(gqaRuns.length).toBe(1);
    expect(gqaRuns[0].detail?.kvHalf).toBe(true);
    expect(path(gqaRuns[0])).toBe(true);
  });

  it('block-major decode over 16 MiB of f16 K/V (MHA 8/8/128 over 4096 keys) and GQA 32/8/64 over 8192', { timeout: 60_000 }, () => {
    for (const shape of [
      { sq: 1, skv: 4096, hq: 8, hkv: 8, d: 128 },
      { sq: 1, skv: 8192, hq: 32, hkv: 8, d: 64 },
    ]) {
      const { out, ref, gqaRuns } = attend(shape, {}, undefined, 2);
      expect(maxRelError(out, ref)).toBeLessThan(TOL);
      expect(gqaRuns[0].detail).toMatchObject({ kvHalf: true, blockMajor: true });
    }
  });

  describe('special halves in K/V: as the staged path (exact widening), NaN-ness included', () => {
    // Inf, -Inf, NaN, ±65504, subnormals 0x0001 and 0x03ff, -0.
    const specials = [0x7c00, 0xfc00, 0x7e00, 0x7bff, 0xfbff, 0x0001, 0x03ff, 0x8000].map(float16BitsToFloat32);
    const shapes: Array<[string, Shape]> = [
      ['MHA decode', { sq: 1, skv: 64, hq: 2, hkv: 2, d: 16 }],
      ['GQA decode', { sq: 1, skv: 64, hq: 8, hkv: 2, d: 16 }],
      ['MQA decode', { sq: 1, skv: 64, hq: 32, hkv: 1, d: 16 }],
      ['prefill', { sq: 24, skv: 24, hq: 4, hkv: 2, d: 16 }],
    ];
    it.each(shapes)('%s: one special at a time in K, then in V', (_n, shape) => {
      const n = shape.skv * shape.hkv * shape.d;
      for (const [where, x] of specials.flatMap((x) => [['k', x] as const, ['v', x] as const])) {
        const k = half(randomArray(n, 'sk'));
        const v = half(randomArray(n, 'sv'));
        (where === 'k' ? k : v)[(n >> 1) + 3] = x;
        const { out, ref } = attend(shape, {}, { k, v }, 3);
        for (let i = 0; i < out.length; i++) {
          const label = `${where} = ${x}, element ${i}: ${out[i]} vs ${ref[i]}`;
          expect(Number.isNaN(out[i]), label).toBe(Number.isNaN(ref[i]));
          if (!Number.isNaN(ref[i])) {
            expect(out[i] === ref[i] || Math.abs(out[i] - ref[i]) <= TOL * Math.max(1, Math.abs(ref[i])), label).toBe(true);
          }
        }
      }
    });

    it('finite extremes (±65504, subnormals, -0) need no staged rerun; an Inf/NaN half read in registers reruns staged', () => {
      const shape = { sq: 1, skv: 64, hq: 2, hkv: 2, d: 16 };
      const n = shape.skv * shape.hkv * shape.d;
      const widenRuns = (x: number) => {
        const k = half(randomArray(n, 'sk'));
        k[100] = x;
        const all: Run[] = [];
        const tr = be.kernels as unknown as { trace: ((r: Run) => void) | null };
        tr.trace = (r) => all.push(r);
        attend(shape, {}, { k, v: half(randomArray(n, 'sv')) }, 4);
        tr.trace = (r) => runs.push(r);
        return all;
      };
      for (const x of specials.slice(3)) expect(widenRuns(x).filter((r) => r.kernel === 'gqa').length, `${x}`).toBe(1);
      for (const x of specials.slice(0, 3)) {
        const rs = widenRuns(x);
        expect(rs.filter((r) => r.kernel === 'gqa').map((r) => r.detail?.kvHalf), `${x}`).toEqual([true, false]);
      }
    });
  });
});
