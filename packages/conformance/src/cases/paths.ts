/**
 * Cases at the sizes where backends switch kernels, so that the quick probe
 * (`chooseBackend`) and the full suite reach those paths too: a thread pool that only wakes
 * for enough work, a block-major decode over K/V past a cache-size threshold, flash
 * attention past a prefill length, a long decode split across workgroups. Each is also an
 * ordinary fixed case, checked against the reference like every other.
 *
 * Which path each reaches on the wasm backend (defaults: `minParallelWork` 150 µs of
 * estimated single-thread work, src/*.ts of @llama-ops/backend-wasm; guarded by
 * backend-wasm's test/quick-paths.test.ts):
 * - rmsnorm [96, 4096]: 96 · 4096 · 2 streams · 4 B · 0.05 ns/B = 157 µs, rows on the pool;
 * - rope [1, 384, 8, 128]: 384 · 8 · 128 · 8 B · 0.05 ns/B = 157 µs, tokens on the pool;
 * - decode 8/8/128 over 2048 keys: 2048 · 8 · 256 · 4 B = 16 MiB of K/V, the
 *   BLOCK_MAJOR_MIN_BYTES of the block-major decode; 252 µs of work, tiles on the pool; in
 *   f16 its 2 × 2M-element K/V widening runs on the pool too;
 * - MQA decode 32/1/64 over 640 keys: 640 · 32 · 128 · 0.06 ns = 157 µs on the pool with a
 *   single KV head, so the group's 32 query heads are split into chunks of 8 (tiles start at
 *   a head inside the group: headChunks > 1), one per thread and more;
 * - causal prefill 40 at 32/8/64: 40 · 40 · 32 · 128 / 2 multiply-adds · 0.06 ns = 197 µs of
 *   work on the pool, K/V packed (gqaPack), 5 tiles of 32 rows (8 queries × 4 heads: the
 *   transposed-Q score kernel) per KV head.
 * On WebGPU the decode splits its 2048 keys over 16 workgroups per KV head (flash decoding)
 * and the prefill runs flash attention's tiles. The sizes are the smallest that cross the
 * thresholds with some margin, since the probe pays for every element.
 *
 * Their data is random on the f16 grid (multiples of 2^-10 in [-1, 1), from a fast
 * xorshift): built in ~1 ns a value, and stored exactly by f16 tensors, so an f16 variant
 * shares its f32 case's inputs and float64 reference (see `CaseMemo`).
 */
import { onF16Grid } from '../f16-grid.js';
import { hashSeed } from './data.js';
import { defineCase, f16Variant } from './define.js';
import { gqaInputs } from './gqa.js';
import type { ConformanceCase, GqaCaseInputs } from './types.js';

/** Random values on the f16 grid: `scale` times multiples of 2^-10 in [-1, 1) (exact in f16 for a power-of-two scale). */
class GridRng {
  #s: number;
  constructor(seed: string) {
    this.#s = hashSeed(seed) | 1;
  }
  array(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    const step = scale / 1024;
    let s = this.#s;
    // xorshift32; each step gives two signed 11-bit values (bits 21..31 and 5..15).
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[2 * i] = (s >> 21) * step;
      out[2 * i + 1] = ((s << 16) >> 21) * step;
    }
    if (n & 1) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[n - 1] = (s >> 21) * step;
    }
    this.#s = s;
    if (Number.isInteger(Math.log2(scale))) onF16Grid.add(out);
    return out;
  }
}

/** Causal GQA inputs (every key valid) on the f16 grid. */
function gridGqa(seed: string, d: { B: number; Sq: number; Skv: number; Hq: number; Hkv: number; D: number }): GqaCaseInputs {
  const rng = new GridRng(seed);
  return {
    op: 'gqa',
    q: rng.array(d.B * d.Sq * d.Hq * d.D),
    qShape: [d.B, d.Sq, d.Hq, d.D],
    k: rng.array(d.B * d.Skv * d.Hkv * d.D),
    kShape: [d.B, d.Skv, d.Hkv, d.D],
    v: rng.array(d.B * d.Skv * d.Hkv * d.D),
    vShape: [d.B, d.Skv, d.Hkv, d.D],
    options: {},
  };
}

const rmsnormThreaded = defineCase(
  'rmsnorm',
  'paths',
  'rows-96x4096',
  'RMSNorm [96, 4096]: enough work for multi-threaded backends to split rows across threads',
  () => {
    const rng = new GridRng('rmsnorm/paths/rows-96x4096');
    return { op: 'rmsnorm', x: rng.array(96 * 4096, 4), shape: [96, 4096], weight: rng.array(4096, 1), options: {} };
  },
);

const ropeThreaded = defineCase(
  'rope',
  'paths',
  'prefill-384x8x128',
  'RoPE on k [1, 384, 8, 128], llama3 scaling: a prefill large enough to be split across threads',
  () => {
    const rng = new GridRng('rope/paths/prefill-384x8x128');
    return {
      op: 'rope',
      x: rng.array(384 * 8 * 128, 2),
      shape: [1, 384, 8, 128],
      options: { positions: 3, theta: 500000, scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } },
    };
  },
);

const decodeLong = defineCase(
  'gqa',
  'paths',
  'decode-8x8x128-2048',
  'decode 8/8/128 over 2048 keys (16 MiB of K/V, rows a page apart): block-major and key-split decode paths',
  () => gridGqa('gqa/paths/decode-8x8x128-2048', { B: 1, Sq: 1, Skv: 2048, Hq: 8, Hkv: 8, D: 128 }),
);

const prefillThreaded = defineCase(
  'gqa',
  'paths',
  'prefill-40-32x8x64',
  'causal prefill of 40 tokens, 32/8/64: flash-attention tiles and a threaded prefill',
  () => gridGqa('gqa/paths/prefill-40-32x8x64', { B: 1, Sq: 40, Skv: 40, Hq: 32, Hkv: 8, D: 64 }),
);

const decodeSplitHeads = defineCase(
  'gqa',
  'paths',
  'decode-mqa-32x1x64-640',
  'MQA decode 32/1/64 over 640 keys: threaded, the 32 query heads of the one KV head split across tiles',
  () => gridGqa('gqa/paths/decode-mqa-32x1x64-640', { B: 1, Sq: 1, Skv: 640, Hq: 32, Hkv: 1, D: 64 }),
);

const decodeRaggedBatch = defineCase(
  'gqa',
  'paths',
  'decode-batch4-ragged-32x8x64',
  'batch-4 decode 32/8/64 over ragged kvLength [700, 33, 1024, 5] of 1024 (NaN past each): split keys per batch',
  () => gqaInputs('gqa/paths/decode-batch4-ragged-32x8x64', { B: 4, Sq: 1, Skv: 1024, Hq: 32, Hkv: 8, D: 64 }, { kvLength: [700, 33, 1024, 5] }),
);

/** The paths family (f32, with f16 variants of the attention cases). */
export const pathCases: readonly ConformanceCase[] = [
  rmsnormThreaded,
  ropeThreaded,
  decodeLong,
  prefillThreaded,
  decodeSplitHeads,
  decodeRaggedBatch,
  f16Variant(decodeLong),
  f16Variant(prefillThreaded),
];
