/**
 * Key-split decode (issue #18, threads): where a decode's tiles cannot give every thread
 * work, src/gqa.ts splits each tile's visible keys into chunks whose partials (m, l,
 * unnormalized O) gqaCombine merges. Against the conformance kit's float64 reference, on
 * 2, 4 and 16 threads with every kernel on the pool (16 threads on a small machine test
 * correctness only): MQA and GQA, ragged batches with entries shorter than the chunk count
 * (and empty), windows, sinks (+Inf), softcap, masks that leave whole chunks masked, NaN
 * that only some chunks see, views, block-major order. Runtime.trace shows the split ran.
 */
import { referenceGqa } from '@llama-ops/conformance/reference';
import { gqa, type Backend, type Tensor } from '@llama-ops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { random } from './util.js';

const TOL = 1e-4;
/** torch.finfo(torch.float32).min, as PyTorch and HF fill masks. */
const FINFO_MIN = -3.4028234663852886e38;

interface KernelRun {
  kernel: string;
  units: number;
  pooled: boolean;
  detail?: { keySplits?: number; headChunks?: number; blockMajor?: boolean; kvSpan?: number; tileRows?: number };
}

interface Shape {
  B: number;
  Sq?: number;
  Skv: number;
  Hq: number;
  Hkv: number;
  D: number;
}

interface Options {
  kvLength?: number[];
  window?: number;
  softcap?: number;
  sinks?: number[];
  /** Additive mask [1 | B, 1 | Hq, Sq, Skv]. */
  mask?: { data: Float32Array; shape: number[] };
  /** Data edits before the call (NaN rows...). */
  edit?: (data: { q: Float32Array; k: Float32Array; v: Float32Array }) => void;
  /** Q, K, V as strided views of larger tensors (NaN in the gaps) at this offset. */
  viewOffset?: number;
}

/**
 * A [heads, keys] additive mask: the first 3/4 of the keys masked (finfo.min on odd heads,
 * -Inf on even ones), head 5 masked everywhere (a row that sees no key: zeros), the rest
 * finite values.
 */
function edgeMask(heads: number, keys: number): Float32Array {
  const data = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < keys; j++) {
      let m = Math.sin(j + h) * 2;
      if (j < (keys * 3) / 4) m = h % 2 ? FINFO_MIN : -Infinity;
      if (h === 5) m = FINFO_MIN;
      data[h * keys + j] = m;
    }
  }
  return data;
}

/** Equal NaN positions, and every other element within TOL of the reference (relative to max(1, max|v|)). */
function expectClose(out: ArrayLike<number>, ref: ArrayLike<number>, scale: number): void {
  expect(out.length).toBe(ref.length);
  let nanMismatch = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(ref[i]) || Number.isNaN(out[i])) {
      if (Number.isNaN(ref[i]) !== Number.isNaN(out[i])) nanMismatch++;
      continue;
    }
    const e = Math.abs(out[i] - ref[i]) / Math.max(1, scale);
    if (!(e <= worst)) worst = e;
  }
  expect(nanMismatch, 'elements NaN in one of output and reference only').toBe(0);
  expect(worst).toBeLessThanOrEqual(TOL);
}

/**
 * A backend of `threads` threads with every kernel on the pool (created in the calling
 * suite's beforeAll) and decode checks against the reference on it.
 */
function decodeHarness(threads: number) {
  let be: Backend;
  let runs: KernelRun[] = [];
  beforeAll(async () => {
    be = await createBackend({ threads, minParallelWork: 0 });
    expect(be.capabilities.threads).toBe(threads);
    (be.kernels as unknown as { trace: ((r: KernelRun) => void) | null }).trace = (r) => runs.push(r);
  });
  afterAll(() => be.dispose());

  /** `data` as a strided view of a larger rank-1 tensor: tokens `rowSize + 5` apart from `offset`, NaN in the gaps. */
  function input(data: Float32Array, shape: number[], offset: number | undefined): Tensor {
    if (offset === undefined) return be.tensor(data, shape);
    const rowSize = shape[2] * shape[3];
    const rowStride = rowSize + 5;
    const rows = data.length / rowSize;
    const host = new Float32Array(offset + rows * rowStride).fill(NaN);
    for (let r = 0; r < rows; r++) host.set(data.subarray(r * rowSize, (r + 1) * rowSize), offset + r * rowStride);
    return be.view(be.tensor(host, [host.length]), { shape, offset, rowStride });
  }

  /** Runs a decode (Sq queries at the end of each batch's keys) and checks it against the reference; returns the gqa runs. */
  function check(shape: Shape, opts: Options = {}): { out: Float32Array; gqaRuns: KernelRun[]; combineRuns: KernelRun[] } {
    const { B, Skv, Hq, Hkv, D } = shape;
    const Sq = shape.Sq ?? 1;
    const shapes = { q: [B, Sq, Hq, D], k: [B, Skv, Hkv, D], v: [B, Skv, Hkv, D] };
    const data = { q: random(B * Sq * Hq * D, 1, 2), k: random(B * Skv * Hkv * D, 2), v: random(B * Skv * Hkv * D, 3) };
    const kvLength = opts.kvLength ?? Array.from({ length: B }, () => Skv);
    // Rows past each batch's kvLength are NaN: never read.
    for (let b = 0; b < B; b++) {
      data.k.fill(NaN, (b * Skv + kvLength[b]) * Hkv * D, (b + 1) * Skv * Hkv * D);
      data.v.fill(NaN, (b * Skv + kvLength[b]) * Hkv * D, (b + 1) * Skv * Hkv * D);
    }
    opts.edit?.(data);
    runs = [];
    const out = gqa(input(data.q, shapes.q, opts.viewOffset), input(data.k, shapes.k, opts.viewOffset), input(data.v, shapes.v, opts.viewOffset), {
      kvLength,
      window: opts.window,
      softcap: opts.softcap,
      mask: opts.mask ? be.tensor(opts.mask.data, opts.mask.shape) : undefined,
      sinks: opts.sinks ? be.tensor(Float32Array.from(opts.sinks), [Hq]) : undefined,
    }).readSync!();
    const mask = opts.mask ? { data: Array.from(opts.mask.data, (m) => (m <= -1e30 ? -Infinity : m)), shape: opts.mask.shape } : undefined;
    const ref = referenceGqa(data.q, data.k, data.v, shapes, { kvLength, window: opts.window, softcap: opts.softcap, sinks: opts.sinks, mask });
    let maxV = 0;
    for (const x of data.v) if (Math.abs(x) > maxV) maxV = Math.abs(x);
    expectClose(out, ref, maxV);
    return { out, gqaRuns: runs.filter((r) => r.kernel === 'gqa'), combineRuns: runs.filter((r) => r.kernel === 'gqaCombine') };
  }

  /** The keys were split (chunks > 1 per tile) and combined. */
  function expectSplit(r: ReturnType<typeof check>): number {
    expect(r.gqaRuns.length).toBe(1);
    const splits = r.gqaRuns[0].detail?.keySplits ?? 1;
    expect(splits, 'key chunks per tile').toBeGreaterThan(1);
    expect(r.gqaRuns[0].detail?.headChunks).toBe(1);
    expect(r.gqaRuns[0].pooled).toBe(true);
    expect(r.combineRuns.length).toBe(1);
    expect(r.combineRuns[0].units * splits).toBe(r.gqaRuns[0].units);
    return splits;
  }

  return { check, expectSplit };
}

describe.each([2, 4, 16])('key-split decode on wasm (%i threads, every kernel on the pool)', (threads) => {
  const { check, expectSplit } = decodeHarness(threads);

  it('MQA 32/1/64 over 2048 keys: one tile, its keys split across the threads', () => {
    const splits = expectSplit(check({ B: 1, Skv: 2048, Hq: 32, Hkv: 1, D: 64 }));
    expect(splits).toBe(Math.min(2 * threads, 8));
  });

  it('GQA 32/2/64 and 6/2/48 (groups of 3: 4-dim lanes and a 1-row tail) over 1500 keys', () => {
    expectSplit(check({ B: 1, Skv: 1500, Hq: 32, Hkv: 2, D: 64 }));
    expectSplit(check({ B: 1, Skv: 1500, Hq: 6, Hkv: 2, D: 48 }));
  });

  it('GQA 32/8/64 splits only where its 8 tiles are fewer than 2 per thread; MHA 4/4/32 (one span tile) splits', () => {
    const gqa8 = check({ B: 1, Skv: 1024, Hq: 32, Hkv: 8, D: 64 });
    if (8 >= 2 * threads) expect(gqa8.gqaRuns[0].detail?.keySplits).toBe(1);
    else expectSplit(gqa8);
    const mha = check({ B: 1, Skv: 1024, Hq: 4, Hkv: 4, D: 32 });
    expect(mha.gqaRuns[0].detail?.kvSpan).toBe(4);
    expectSplit(mha);
  });

  it('3 queries (causal rows at different positions in one tile), GQA 8/2/64', () => {
    expectSplit(check({ B: 1, Sq: 3, Skv: 1100, Hq: 8, Hkv: 2, D: 64 }));
  });

  it('ragged batch of 3 (2000, 5, 0 keys: entries shorter than the chunks, and empty)', () => {
    const r = check({ B: 3, Skv: 2000, Hq: 16, Hkv: 1, D: 64 }, { kvLength: [2000, 5, 0] });
    if (3 < 2 * threads) expectSplit(r);
    // The empty entry's rows are zeros.
    expect(r.out.subarray(2 * 16 * 64).every((x) => x === 0)).toBe(true);
  });

  it('ragged batch of 16 (0, 1, 3, 17... up to 2048 keys; splits at 16 threads)', () => {
    const kvLength = [0, 1, 3, 17, 2048, 700, 1024, 31, 2000, 5, 640, 1999, 16, 1500, 1, 2047];
    const r = check({ B: 16, Skv: 2048, Hq: 8, Hkv: 1, D: 32 }, { kvLength });
    if (16 < 2 * threads) expectSplit(r);
  });

  it('sliding window of 1000 (the visible range starts past 0) and of 1, with NaN in K/V before the window', () => {
    const edit = (data: { k: Float32Array; v: Float32Array }) => {
      data.k.fill(NaN, 0, 10 * 64);
      data.v.fill(NaN, 0, 10 * 64);
    };
    expectSplit(check({ B: 1, Skv: 2048, Hq: 32, Hkv: 1, D: 64 }, { window: 1000, edit }));
    expectSplit(check({ B: 2, Skv: 1800, Hq: 16, Hkv: 1, D: 64 }, { window: 1024, kvLength: [1800, 1200], edit }));
    check({ B: 1, Skv: 2048, Hq: 32, Hkv: 1, D: 64 }, { window: 1, edit });
  });

  it('sinks: finite, large (above every score), -Inf and +Inf (zeros)', () => {
    const sinks = Array.from({ length: 32 }, (_, h) => [0.5, 40, -Infinity, Infinity][h % 4] + h / 100);
    const r = check({ B: 1, Skv: 2048, Hq: 32, Hkv: 1, D: 64 }, { sinks });
    expectSplit(r);
    for (let h = 3; h < 32; h += 4) expect(r.out.subarray(h * 64, (h + 1) * 64).every((x) => x === 0)).toBe(true);
  });

  it('softcap 5 on large scores', () => {
    const edit = (data: { q: Float32Array }) => data.q.forEach((x, i) => (data.q[i] = x * 20));
    expectSplit(check({ B: 1, Skv: 2048, Hq: 32, Hkv: 1, D: 64 }, { softcap: 5, edit }));
  });

  it('masks: whole chunks masked (finfo.min and -Inf), one head masked everywhere (zeros), NaN under a masked key', () => {
    const Skv = 2048;
    const Hq = 32;
    const data = edgeMask(Hq, Skv); // the first 3/4 of the keys: whole chunks
    const r = check({ B: 1, Skv, Hq, Hkv: 1, D: 64 }, { mask: { data, shape: [1, Hq, 1, Skv] } });
    expectSplit(r);
    expect(r.out.subarray(5 * 64, 6 * 64).every((x) => x === 0)).toBe(true);
    // A NaN value under a masked key: 0 · NaN in the reference, NaN for the rows that have weight elsewhere.
    const nanMasked = check(
      { B: 1, Skv, Hq, Hkv: 1, D: 64 },
      { mask: { data, shape: [1, Hq, 1, Skv] }, edit: (d) => d.v.fill(NaN, 100 * 64, 101 * 64) },
    );
    expect(Number.isNaN(nanMasked.out[0])).toBe(true);
    expect(nanMasked.out.subarray(5 * 64, 6 * 64).every((x) => x === 0)).toBe(true);
  });

  it('NaN in one V row that only one chunk sees poisons the rows that see it; a NaN query poisons its own row', () => {
    const r = check(
      { B: 2, Skv: 2048, Hq: 16, Hkv: 1, D: 64 },
      {
        kvLength: [2048, 1000],
        edit: (d) => {
          d.v.fill(NaN, 1500 * 64, 1501 * 64); // batch 0 key 1500; batch 1 sees none
          d.q[(1 * 16 + 3) * 64 + 7] = NaN; // batch 1, head 3
        },
      },
    );
    expectSplit(r);
    expect(r.out.subarray(0, 16 * 64).every(Number.isNaN)).toBe(true);
    const b1 = r.out.subarray(16 * 64);
    expect(b1.subarray(3 * 64, 4 * 64).every(Number.isNaN)).toBe(true);
    expect(b1.filter(Number.isNaN).length).toBe(64);
  });

  it('views: Q, K and V strided at an odd offset with NaN in the gaps', () => {
    expectSplit(check({ B: 2, Skv: 1024, Hq: 16, Hkv: 1, D: 64 }, { viewOffset: 3, kvLength: [1024, 777] }));
  });

  it('block-major order (16 MiB of K/V) with split keys: MQA 32/1/128 over 16384 keys', () => {
    const r = check({ B: 1, Skv: 16384, Hq: 32, Hkv: 1, D: 128 });
    expectSplit(r);
    expect(r.gqaRuns[0].detail?.blockMajor).toBe(true);
  });

  it('block-major GQA with tiles enough (32/8/64 over 8192 keys): keys split across every thread all the same', () => {
    // Streamed block-major decodes give each thread whole K/V rows of its own keys (src/gqa.ts keySplitsFor).
    const r = check({ B: 1, Skv: 8192, Hq: 32, Hkv: 8, D: 64 });
    expect(expectSplit(r)).toBeGreaterThanOrEqual(threads);
    expect(r.gqaRuns[0].detail?.blockMajor).toBe(true);
  });

  it('block-major GQA split over a ragged batch with a window: 16/8/64, kvLength [4096, 1000, 3000], window 2500', () => {
    const r = check({ B: 3, Skv: 4096, Hq: 16, Hkv: 8, D: 64 }, { kvLength: [4096, 1000, 3000], window: 2500 });
    expectSplit(r);
    expect(r.gqaRuns[0].detail?.blockMajor).toBe(true);
  });

  it('MHA 8/8/128 over 4096 keys (16 MiB): one span tile, block-major (streamed), its keys split across the threads', () => {
    const r = check({ B: 1, Skv: 4096, Hq: 8, Hkv: 8, D: 128 });
    expect(r.gqaRuns[0].detail?.blockMajor).toBe(true);
    expect(r.gqaRuns[0].detail?.kvSpan).toBe(8);
    expect(expectSplit(r)).toBeGreaterThanOrEqual(threads);
  });

  it('too few keys to split (MQA over 400): the group heads are split across tiles instead', () => {
    const r = check({ B: 1, Skv: 400, Hq: 32, Hkv: 1, D: 64 });
    expect(r.gqaRuns[0].detail?.keySplits).toBe(1);
    expect(r.gqaRuns[0].detail?.headChunks).toBeGreaterThan(1);
    expect(r.combineRuns.length).toBe(0);
  });
});

/**
 * MHA decode (group 1, one query, f32 K/V) in span tiles (src/gqa.ts kvSpan): one tile spans
 * up to 32 KV heads, row r reading head r's K and V, key quads outer and rows inner
 * (assembly/gqa.ts scoresSpan, accumulateSpan). On the calling thread (1 thread) and split
 * across the pool.
 */
describe.each([1, 2, 16])('MHA decode in span tiles on wasm (%i threads, every kernel on the pool)', (threads) => {
  const { check } = decodeHarness(threads);
  const span = (r: ReturnType<typeof check>) => r.gqaRuns[0].detail?.kvSpan ?? 1;

  it('32/32/64 over 1500 keys: one tile of all 32 heads (keys split on the pool)', () => {
    const r = check({ B: 1, Skv: 1500, Hq: 32, Hkv: 32, D: 64 });
    expect(span(r)).toBe(32);
    expect(r.gqaRuns[0].detail?.tileRows).toBe(32);
    expect(r.combineRuns.length).toBe(threads > 1 ? 1 : 0);
  });

  it('heads that leave padding rows (5, 6, 7: Mp 8) and head sizes with d % 4 dims left (38, 6)', () => {
    for (const H of [5, 6, 7]) expect(span(check({ B: 1, Skv: 700, Hq: H, Hkv: H, D: 38 }))).toBe(H);
    // 45 keys, too few to split: on the pool, two tiles of 2 heads.
    expect(span(check({ B: 1, Skv: 45, Hq: 4, Hkv: 4, D: 6 }))).toBe(threads === 1 ? 4 : 2);
  });

  it('40 heads: two span tiles of 20; 2 and 3 heads: one span tile; one head: a one-row tile', () => {
    expect(span(check({ B: 1, Skv: 600, Hq: 40, Hkv: 40, D: 32 }))).toBe(20);
    expect(span(check({ B: 1, Skv: 600, Hq: 3, Hkv: 3, D: 64 }))).toBe(3);
    expect(span(check({ B: 1, Skv: 600, Hq: 2, Hkv: 2, D: 64 }))).toBe(2);
    expect(span(check({ B: 1, Skv: 600, Hq: 1, Hkv: 1, D: 64 }))).toBe(1);
  });

  it('too few keys to split (32/32/64 over 300): fewer heads per tile so each thread has two', () => {
    const r = check({ B: 1, Skv: 300, Hq: 32, Hkv: 32, D: 64 });
    expect(r.gqaRuns[0].detail?.keySplits ?? 1).toBe(1);
    if (threads === 1) expect(span(r)).toBe(32);
    else expect(r.gqaRuns[0].units).toBeGreaterThanOrEqual(Math.min(2 * threads, 8));
    expect(span(r)).toBeGreaterThanOrEqual(2);
  });

  it('ragged batch of 3 (900, 5, 0 keys) with a window of 700 and NaN in K/V before it; the empty entry is zeros', () => {
    const edit = (data: { k: Float32Array; v: Float32Array }) => {
      data.k.fill(NaN, 0, 10 * 8 * 32);
      data.v.fill(NaN, 0, 10 * 8 * 32);
    };
    const r = check({ B: 3, Skv: 900, Hq: 8, Hkv: 8, D: 32 }, { kvLength: [900, 5, 0], window: 700, edit });
    // 235 visible keys per entry on average: too few to split, so on the pool the heads are
    // (3 entries: 2 tiles of 4 heads each give 2 threads two; 16 threads, spans of 2).
    expect(span(r)).toBe(threads === 1 ? 8 : threads === 2 ? 4 : 2);
    expect(r.out.subarray(2 * 8 * 32).every((x) => x === 0)).toBe(true);
    check({ B: 1, Skv: 900, Hq: 8, Hkv: 8, D: 32 }, { window: 1, edit });
  });

  it('sinks (finite, large, -Inf, +Inf: zeros) and softcap 5 on large scores', () => {
    const sinks = Array.from({ length: 16 }, (_, h) => [0.5, 40, -Infinity, Infinity][h % 4] + h / 100);
    const r = check({ B: 1, Skv: 1100, Hq: 16, Hkv: 16, D: 64 }, { sinks });
    for (let h = 3; h < 16; h += 4) expect(r.out.subarray(h * 64, (h + 1) * 64).every((x) => x === 0)).toBe(true);
    const edit = (data: { q: Float32Array }) => data.q.forEach((x, i) => (data.q[i] = x * 20));
    check({ B: 1, Skv: 1100, Hq: 16, Hkv: 16, D: 64 }, { softcap: 5, edit });
  });

  it('masks: the first 3/4 of the keys masked (finfo.min and -Inf), one head masked everywhere (zeros), NaN under a masked key', () => {
    const Skv = 1024;
    const H = 8;
    const data = edgeMask(H, Skv);
    const mask = { data, shape: [1, H, 1, Skv] };
    const r = check({ B: 1, Skv, Hq: H, Hkv: H, D: 32 }, { mask });
    expect(r.out.subarray(5 * 32, 6 * 32).every((x) => x === 0)).toBe(true);
    // Head 0's V row at key 100 (masked for every head) is NaN: 0 · NaN in the reference.
    const nan = check({ B: 1, Skv, Hq: H, Hkv: H, D: 32 }, { mask, edit: (d) => d.v.fill(NaN, 100 * H * 32, 100 * H * 32 + 32) });
    expect(Number.isNaN(nan.out[0])).toBe(true);
    expect(nan.out.subarray(32, 5 * 32).some(Number.isNaN)).toBe(false);
  });

  it("NaN in one head's V row poisons that head only; a NaN query poisons its own row", () => {
    const r = check(
      { B: 2, Skv: 1200, Hq: 8, Hkv: 8, D: 32 },
      {
        kvLength: [1200, 600],
        edit: (d) => {
          d.v.fill(NaN, (1000 * 8 + 2) * 32, (1000 * 8 + 3) * 32); // batch 0, key 1000, head 2
          d.q[(1 * 8 + 6) * 32 + 7] = NaN; // batch 1, head 6
        },
      },
    );
    const nanRows = (from: number) => Array.from({ length: 8 }, (_, h) => r.out.subarray(from + h * 32, from + (h + 1) * 32).every(Number.isNaN));
    expect(nanRows(0)).toEqual([false, false, true, false, false, false, false, false]);
    expect(nanRows(8 * 32)).toEqual([false, false, false, false, false, false, true, false]);
  });

  it('block-major (16 MiB and more, blocks streamed): 8/8/128 over 4096 keys, and a ragged batch of 3 with a window', () => {
    const one = check({ B: 1, Skv: 4096, Hq: 8, Hkv: 8, D: 128 });
    expect(one.gqaRuns[0].detail?.blockMajor).toBe(true);
    expect(span(one)).toBe(8);
    const ragged = check({ B: 3, Skv: 2048, Hq: 8, Hkv: 8, D: 128 }, { kvLength: [2048, 700, 1500], window: 1800 });
    expect(ragged.gqaRuns[0].detail?.blockMajor).toBe(true);
    expect(span(ragged)).toBe(8);
  });

  it('views: Q, K and V strided at an odd offset with NaN in the gaps', () => {
    expect(span(check({ B: 2, Skv: 800, Hq: 8, Hkv: 8, D: 32 }, { viewOffset: 3, kvLength: [800, 555] }))).toBe(8);
  });
});
