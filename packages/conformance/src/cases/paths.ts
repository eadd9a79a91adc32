/**
 * Cases at the sizes where backends switch kernels, so that the quick probe
 * (`chooseBackend`) and the full suite reach those paths too: a thread pool that only wakes
 * for enough work, a block-major decode over K/V past a cache-size threshold, flash
 * attention past a prefill length, a long decode split across workgroups. Each is also an
 * ordinary fixed case, checked against the reference like every other.
 */
import { Rng } from './data.js';
import { defineCase, f16Variant } from './define.js';
import { gqaInputs } from './gqa.js';
import type { ConformanceCase } from './types.js';

const rmsnormThreaded = defineCase(
  'rmsnorm',
  'paths',
  'rows-128x4096',
  'RMSNorm [128, 4096]: enough work for multi-threaded backends to split rows across threads',
  () => {
    const rng = new Rng('rmsnorm/paths/rows-128x4096');
    return { op: 'rmsnorm', x: rng.array(128 * 4096, 3), shape: [128, 4096], weight: rng.array(4096, 1), options: {} };
  },
);

const ropeThreaded = defineCase(
  'rope',
  'paths',
  'prefill-256x8x128',
  'RoPE on k [1, 256, 8, 128], llama3 scaling: a prefill large enough to be split across threads',
  () => {
    const rng = new Rng('rope/paths/prefill-256x8x128');
    return {
      op: 'rope',
      x: rng.array(256 * 8 * 128),
      shape: [1, 256, 8, 128],
      options: { positions: 3, theta: 500000, scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } },
    };
  },
);

const decodeLong = defineCase(
  'gqa',
  'paths',
  'decode-8x8x128-2048',
  'decode 8/8/128 over 2048 keys (16 MiB of K/V, rows a page apart): block-major and key-split decode paths',
  () => gqaInputs('gqa/paths/decode-8x8x128-2048', { B: 1, Sq: 1, Skv: 2048, Hq: 8, Hkv: 8, D: 128 }, {}),
);

const prefillThreaded = defineCase(
  'gqa',
  'paths',
  'prefill-64-32x8x64',
  'causal prefill of 64 tokens, 32/8/64: flash-attention tiles and a threaded prefill',
  () => gqaInputs('gqa/paths/prefill-64-32x8x64', { B: 1, Sq: 64, Skv: 64, Hq: 32, Hkv: 8, D: 64 }, {}),
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
  decodeRaggedBatch,
  f16Variant(decodeLong),
  f16Variant(prefillThreaded),
];
