/**
 * GQA cases (SPEC.md "gqa"): head dims, head ratios, decode/prefill/chunked prefill, ragged
 * kvLength, queryOffset, windows, rows with no visible key, softcap, masks, sinks, dv != d,
 * NaN inputs and NaN garbage past kvLength.
 *
 * Every case whose `kvLength` is below `seqKV` fills the keys/values past `kvLength` with NaN:
 * SPEC says they are never read, so any NaN in the output there is a leak.
 */
import { Rng, sizeOf } from './data.js';
import { defineCase, withF16Variants } from './define.js';
import type { ConformanceCase, GqaCaseInputs } from './types.js';

type Shape4 = [number, number, number, number];

/** Dims of a GQA case: batch, seqQ, seqKV, headsQ, headsKV, headDim, headDimV. */
export interface GqaDims {
  B: number;
  Sq: number;
  Skv: number;
  Hq: number;
  Hkv: number;
  D: number;
  Dv?: number;
}

/** Optional data shaping of a GQA case. */
export interface GqaExtras {
  /** Which mask shape to add (values uniform in [-2, 2]), or a custom maker. */
  mask?: 'full' | 'b1' | '1h' | '11' | ((rng: Rng, shape: Shape4) => Float32Array);
  maskShape?: Shape4;
  /** Sink logits per query head. */
  sinks?: (rng: Rng, Hq: number) => Float32Array;
  /** Magnitude of q and k values (default 1). */
  qkScale?: number;
  /** Edit the generated q/k/v (e.g. plant a NaN). */
  edit?: (t: { q: Float32Array; k: Float32Array; v: Float32Array }, rng: Rng) => void;
}

/** Build GQA inputs: uniform data, NaN garbage past each batch's kvLength. */
export function gqaInputs(seed: string, dims: GqaDims, options: GqaCaseInputs['options'], extras: GqaExtras = {}): GqaCaseInputs {
  const rng = new Rng(seed);
  const { B, Sq, Skv, Hq, Hkv, D } = dims;
  const Dv = dims.Dv ?? D;
  const qShape: Shape4 = [B, Sq, Hq, D];
  const kShape: Shape4 = [B, Skv, Hkv, D];
  const vShape: Shape4 = [B, Skv, Hkv, Dv];
  const s = extras.qkScale ?? 1;
  const q = rng.array(sizeOf(qShape), s);
  const k = rng.array(sizeOf(kShape), s);
  const v = rng.array(sizeOf(vShape), 1);
  const kvLen = Array.from({ length: B }, (_, b) =>
    options.kvLength === undefined ? Skv : typeof options.kvLength === 'number' ? options.kvLength : options.kvLength[b],
  );
  for (let b = 0; b < B; b++) {
    k.fill(NaN, (b * Skv + kvLen[b]) * Hkv * D, (b + 1) * Skv * Hkv * D);
    v.fill(NaN, (b * Skv + kvLen[b]) * Hkv * Dv, (b + 1) * Skv * Hkv * Dv);
  }
  extras.edit?.({ q, k, v }, rng);
  const out: GqaCaseInputs = { op: 'gqa', q, qShape, k, kShape, v, vShape, options };
  if (extras.mask) {
    const shape: Shape4 =
      extras.maskShape ??
      (extras.mask === 'full' ? [B, Hq, Sq, Skv] : extras.mask === 'b1' ? [B, 1, Sq, Skv] : extras.mask === '1h' ? [1, Hq, Sq, Skv] : [1, 1, Sq, Skv]);
    const data = typeof extras.mask === 'function' ? extras.mask(rng, shape) : rng.array(sizeOf(shape), 2);
    out.mask = { data, shape };
  }
  if (extras.sinks) out.sinks = extras.sinks(rng, Hq);
  return out;
}

const gqa = (group: string, detail: string, description: string, dims: GqaDims, options: GqaCaseInputs['options'] = {}, extras: GqaExtras = {}) =>
  defineCase('gqa', group, detail, description, () => gqaInputs(`gqa/${group}/${detail}`, dims, options, extras));

const sinksUniform = (lo: number, hi: number) => (rng: Rng, Hq: number) => rng.range(Hq, lo, hi);

function build(): ConformanceCase[] {
  const c: ConformanceCase[] = [];
  for (const D of [6, 64, 80, 96, 128, 256]) {
    c.push(gqa('headDim', `d${D}`, `headDim ${D}: 3 queries at the end of 9 keys (causal, bottom-right), Hq 4 / Hkv 2`, { B: 1, Sq: 3, Skv: 9, Hq: 4, Hkv: 2, D }));
  }
  c.push(gqa('headDim', 'd64-decode', 'headDim 64 decode (seqQ 1) against 40 keys', { B: 1, Sq: 1, Skv: 40, Hq: 8, Hkv: 2, D: 64 }));
  c.push(gqa('headDim', 'd128-decode', 'headDim 128 decode against 40 keys', { B: 1, Sq: 1, Skv: 40, Hq: 8, Hkv: 2, D: 128 }));

  const ratios: Array<[number, number]> = [
    [1, 1],
    [4, 4],
    [4, 2],
    [7, 1],
    [8, 1],
    [14, 2],
    [16, 2],
    [32, 1],
    [32, 8],
    [32, 4],
  ];
  for (const [Hq, Hkv] of ratios) {
    const kind = Hq === Hkv ? 'MHA' : Hkv === 1 ? 'MQA' : 'GQA';
    c.push(gqa('heads', `${Hq}-${Hkv}-decode`, `${kind} Hq ${Hq} / Hkv ${Hkv} (ratio ${Hq / Hkv}), decode against 12 keys`, { B: 1, Sq: 1, Skv: 12, Hq, Hkv, D: 32 }));
  }
  c.push(gqa('heads', '7-1-prefill', 'Hq 7 / Hkv 1 causal prefill of 6', { B: 2, Sq: 6, Skv: 6, Hq: 7, Hkv: 1, D: 32 }));
  c.push(gqa('heads', '32-1-prefill', 'Hq 32 / Hkv 1 (MQA) causal prefill of 5', { B: 1, Sq: 5, Skv: 5, Hq: 32, Hkv: 1, D: 16 }));
  c.push(gqa('heads', '8-8-prefill-mha', 'MHA Hq = Hkv = 8 causal prefill of 7', { B: 1, Sq: 7, Skv: 7, Hq: 8, Hkv: 8, D: 16 }));

  c.push(gqa('decode', 'first-token', 'decode with a cache of 1 valid key of 16 (rest NaN garbage)', { B: 1, Sq: 1, Skv: 16, Hq: 4, Hkv: 2, D: 32 }, { kvLength: 1 }));
  c.push(gqa('decode', 'deep', 'decode deep in a preallocated cache: kvLength 300 of 320 (rest NaN garbage)', { B: 1, Sq: 1, Skv: 320, Hq: 4, Hkv: 1, D: 32 }, { kvLength: 300 }));
  c.push(gqa('decode', 'batch', 'decode, batch 3, full caches of 20', { B: 3, Sq: 1, Skv: 20, Hq: 4, Hkv: 2, D: 32 }));
  c.push(gqa('decode', 'non-causal', 'decode with causal: false (every valid key visible)', { B: 1, Sq: 1, Skv: 10, Hq: 2, Hkv: 1, D: 32 }, { causal: false, kvLength: 7 }));

  c.push(gqa('prefill', 'causal-16', 'causal prefill seqQ = seqKV = 16', { B: 1, Sq: 16, Skv: 16, Hq: 4, Hkv: 2, D: 32 }));
  c.push(gqa('prefill', 'causal-37', 'causal prefill of 37 (odd) with d 64, batch 2', { B: 2, Sq: 37, Skv: 37, Hq: 2, Hkv: 1, D: 64 }));
  c.push(gqa('prefill', 'non-causal', 'non-causal prefill (encoder-style): every key visible', { B: 1, Sq: 8, Skv: 8, Hq: 4, Hkv: 2, D: 32 }, { causal: false }));
  c.push(gqa('prefill', 'single', 'seqQ = seqKV = 1', { B: 1, Sq: 1, Skv: 1, Hq: 2, Hkv: 2, D: 8 }));

  c.push(gqa('chunked', 'end-of-cache', 'chunked prefill: 4 queries at the end of 20 valid keys of a 32-slot cache', { B: 1, Sq: 4, Skv: 32, Hq: 4, Hkv: 2, D: 32 }, { kvLength: 20 }));
  c.push(gqa('chunked', 'speculative', 'speculative decode: 4 queries at the end of 200 valid keys of 256', { B: 2, Sq: 4, Skv: 256, Hq: 4, Hkv: 1, D: 32 }, { kvLength: 200 }));
  c.push(gqa('chunked', 'non-causal', 'non-causal chunk: 3 queries see all 10 valid keys', { B: 1, Sq: 3, Skv: 16, Hq: 2, Hkv: 1, D: 32 }, { causal: false, kvLength: 10 }));
  c.push(gqa('chunked', 'seqQ>seqKV', 'non-causal with more queries (6) than keys (3)', { B: 1, Sq: 6, Skv: 3, Hq: 2, Hkv: 1, D: 16 }, { causal: false }));

  c.push(gqa('kvLength', 'ragged-decode', 'ragged batch decode: kvLength [5, 17, 1] of 20', { B: 3, Sq: 1, Skv: 20, Hq: 4, Hkv: 2, D: 32 }, { kvLength: [5, 17, 1] }));
  c.push(gqa('kvLength', 'ragged-chunk', 'ragged chunked prefill: 2 queries at the end of kvLength [3, 9]', { B: 2, Sq: 2, Skv: 12, Hq: 4, Hkv: 1, D: 32 }, { kvLength: [3, 9] }));
  c.push(gqa('kvLength', 'zero', 'kvLength [0, 6]: batch 0 sees no key and outputs zeros', { B: 2, Sq: 1, Skv: 8, Hq: 2, Hkv: 1, D: 16 }, { kvLength: [0, 6] }));
  c.push(gqa('kvLength', 'scalar-non-causal', 'scalar kvLength 5 of 12, non-causal, batch 2', { B: 2, Sq: 3, Skv: 12, Hq: 2, Hkv: 2, D: 16 }, { kvLength: 5, causal: false }));

  // Ragged kvLength where causality does not hide the keys past each batch's length (no
  // causal mask, queries placed after the cache, a window past it, a mask read there): a
  // backend that reads up to the largest kvLength (or seqKV) for every batch meets the NaN
  // garbage. With causal: true and the default queryOffset, causality alone hides that bug.
  c.push(gqa('kvLength', 'ragged-decode-non-causal', 'ragged decode with causal: false, kvLength [4, 16, 9] of 16: each batch sees exactly its own keys', { B: 3, Sq: 1, Skv: 16, Hq: 4, Hkv: 2, D: 16 }, { causal: false, kvLength: [4, 16, 9] }));
  c.push(gqa('kvLength', 'ragged-chunk-non-causal', 'ragged chunk of 3 queries with causal: false, kvLength [5, 11] of 12', { B: 2, Sq: 3, Skv: 12, Hq: 4, Hkv: 2, D: 32 }, { causal: false, kvLength: [5, 11] }));
  c.push(gqa('kvLength', 'ragged-queryOffset', "ragged kvLength [3, 10] with explicit queryOffset 9: batch 0's queries (positions 9, 10) see only its 3 keys", { B: 2, Sq: 2, Skv: 12, Hq: 4, Hkv: 2, D: 16 }, { kvLength: [3, 10], queryOffset: 9 }));
  c.push(gqa('kvLength', 'ragged-queryOffset-decode', 'ragged decode, kvLength [6, 12], per-batch queryOffset [15, 2]: batch 0 sees its 6 keys, batch 1 only keys 0..2', { B: 2, Sq: 1, Skv: 12, Hq: 4, Hkv: 1, D: 16 }, { kvLength: [6, 12], queryOffset: [15, 2] }));
  c.push(gqa('kvLength', 'ragged-window', "window 4, kvLength [5, 12], queryOffset [6, 9]: batch 0's windows (keys 3..6, 4..7) reach past its 5 keys", { B: 2, Sq: 2, Skv: 12, Hq: 2, Hkv: 1, D: 16 }, { window: 4, kvLength: [5, 12], queryOffset: [6, 9] }));
  c.push(
    gqa('kvLength', 'ragged-mask', "non-causal, kvLength [3, 8] of 8 with a mask [2, 1, 2, 8] that is NaN past each batch's length (never read)", { B: 2, Sq: 2, Skv: 8, Hq: 2, Hkv: 1, D: 16 }, { causal: false, kvLength: [3, 8] }, {
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 1);
        const lengths = [3, 8];
        for (let b = 0; b < 2; b++) for (let i = 0; i < 2; i++) m.fill(NaN, (b * 2 + i) * 8 + lengths[b], (b * 2 + i + 1) * 8);
        return m;
      },
      maskShape: [2, 1, 2, 8],
    }),
  );

  c.push(gqa('queryOffset', 'middle', 'explicit queryOffset 3: 4 queries at positions 3..6 of 12 keys (keys 7.. masked causally)', { B: 1, Sq: 4, Skv: 12, Hq: 2, Hkv: 1, D: 32 }, { queryOffset: 3 }));
  c.push(gqa('queryOffset', 'per-batch', 'per-batch queryOffset [0, 7] with kvLength 10', { B: 2, Sq: 3, Skv: 10, Hq: 2, Hkv: 1, D: 32 }, { queryOffset: [0, 7] }));
  c.push(gqa('queryOffset', 'negative', 'queryOffset -2: the first two queries precede every key (zeros)', { B: 1, Sq: 4, Skv: 6, Hq: 2, Hkv: 1, D: 16 }, { queryOffset: -2 }));
  c.push(gqa('queryOffset', 'beyond', 'queryOffset 100 with kvLength 9: every valid key is visible', { B: 1, Sq: 2, Skv: 12, Hq: 2, Hkv: 1, D: 16 }, { queryOffset: 100, kvLength: 9 }));
  c.push(gqa('queryOffset', 'non-causal', 'queryOffset has no effect when causal: false', { B: 1, Sq: 2, Skv: 6, Hq: 2, Hkv: 1, D: 16 }, { queryOffset: 0, causal: false }));

  c.push(gqa('window', 'one', 'window 1: each query sees only its own position', { B: 1, Sq: 5, Skv: 5, Hq: 2, Hkv: 1, D: 16 }, { window: 1 }));
  c.push(gqa('window', 'prefill-edge', 'window 4 in a causal prefill of 8: the first queries (at the sequence edge) see fewer than 4 keys', { B: 1, Sq: 8, Skv: 8, Hq: 4, Hkv: 2, D: 32 }, { window: 4 }));
  c.push(gqa('window', 'decode-deep', 'window 16 decode at the end of 100 valid keys of 128', { B: 1, Sq: 1, Skv: 128, Hq: 4, Hkv: 1, D: 32 }, { window: 16, kvLength: 100 }));
  c.push(gqa('window', 'wide', 'window 64 >= kvLength: same as no window', { B: 1, Sq: 3, Skv: 10, Hq: 2, Hkv: 1, D: 16 }, { window: 64 }));
  c.push(gqa('window', 'chunked', 'window 5 with 4 queries at the end of 12 valid keys of 16', { B: 1, Sq: 4, Skv: 16, Hq: 2, Hkv: 2, D: 32 }, { window: 5, kvLength: 12 }));
  c.push(gqa('window', 'ragged', 'window 3 with ragged kvLength [2, 11], decode', { B: 2, Sq: 1, Skv: 12, Hq: 4, Hkv: 2, D: 16 }, { window: 3, kvLength: [2, 11] }));
  c.push(gqa('window', 'queryOffset', 'window 3, explicit queryOffset 4 in a cache of 10: keys 2..4 visible to query 0', { B: 1, Sq: 3, Skv: 10, Hq: 2, Hkv: 1, D: 16 }, { window: 3, queryOffset: 4 }));

  c.push(gqa('noVisibleKey', 'window-past-cache', 'queries at positions 50.. with window 4 and kvLength 10: no visible key, zeros', { B: 1, Sq: 2, Skv: 12, Hq: 2, Hkv: 1, D: 16 }, { window: 4, queryOffset: 50, kvLength: 10 }));
  c.push(gqa('noVisibleKey', 'before-cache', 'causal with more queries than keys (default queryOffset < 0): leading rows are zeros', { B: 1, Sq: 5, Skv: 3, Hq: 2, Hkv: 1, D: 16 }));
  c.push(gqa('noVisibleKey', 'empty-cache-sinks', 'kvLength 0 with sinks: still zeros (a sink has no value)', { B: 1, Sq: 1, Skv: 4, Hq: 2, Hkv: 1, D: 16 }, { kvLength: 0 }, { sinks: sinksUniform(-1, 1) }));

  c.push(gqa('softcap', '50', 'softcap 50 on large scores (|q|, |k| ~ 4)', { B: 1, Sq: 4, Skv: 12, Hq: 4, Hkv: 2, D: 64 }, { softcap: 50 }, { qkScale: 4 }));
  c.push(gqa('softcap', '5', 'softcap 5: scores squashed into (-5, 5)', { B: 1, Sq: 1, Skv: 20, Hq: 2, Hkv: 1, D: 32 }, { softcap: 5 }, { qkScale: 3 }));
  c.push(gqa('softcap', 'window', 'softcap 30 with window 4 (Gemma 2 local layers)', { B: 1, Sq: 6, Skv: 6, Hq: 4, Hkv: 2, D: 32 }, { softcap: 30, window: 4 }, { qkScale: 3 }));
  c.push(gqa('softcap', 'mask', 'softcap 20 then the additive mask (softcap applies before masking)', { B: 1, Sq: 3, Skv: 5, Hq: 2, Hkv: 1, D: 16 }, { softcap: 20, causal: false }, { qkScale: 4, mask: 'full' }));

  c.push(gqa('mask', 'full', 'additive mask [B, Hq, Sq, Skv] with causal', { B: 2, Sq: 3, Skv: 6, Hq: 4, Hkv: 2, D: 16 }, {}, { mask: 'full' }));
  c.push(gqa('mask', 'broadcast-11', 'mask [1, 1, Sq, Skv] broadcast over batch and heads', { B: 2, Sq: 3, Skv: 6, Hq: 4, Hkv: 2, D: 16 }, {}, { mask: '11' }));
  c.push(gqa('mask', 'broadcast-b1', 'mask [B, 1, Sq, Skv] broadcast over heads', { B: 2, Sq: 3, Skv: 6, Hq: 4, Hkv: 2, D: 16 }, { causal: false }, { mask: 'b1' }));
  c.push(gqa('mask', 'broadcast-1h', 'mask [1, Hq, Sq, Skv] broadcast over batch', { B: 2, Sq: 3, Skv: 6, Hq: 4, Hkv: 2, D: 16 }, { causal: false }, { mask: '1h' }));
  c.push(gqa('mask', 'decode', 'decode (seqQ 1) with a full mask [2, 4, 1, 10]: each batch and head adds its own row', { B: 2, Sq: 1, Skv: 10, Hq: 4, Hkv: 2, D: 16 }, {}, { mask: 'full' }));
  c.push(
    gqa('mask', 'padding-inf', 'mask with -Inf on some keys (left padding) and causal: -Inf keys get weight 0', { B: 2, Sq: 4, Skv: 4, Hq: 2, Hkv: 1, D: 16 }, {}, {
      mask: (_rng, shape) => {
        const m = new Float32Array(sizeOf(shape));
        // batch 1 is left-padded by 2: keys 0, 1 are -Inf for every query (queries 0, 1 keep key... none visible -> zeros)
        for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) m[(1 * 4 + i) * 4 + j] = -Infinity;
        return m;
      },
      maskShape: [2, 1, 4, 4],
    }),
  );
  c.push(
    gqa('mask', 'nan-past-kvLength', 'mask entries past kvLength are NaN and must not be read', { B: 1, Sq: 2, Skv: 8, Hq: 2, Hkv: 1, D: 16 }, { kvLength: 5 }, {
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 1);
        for (let r = 0; r < shape[0] * shape[1] * shape[2]; r++) m.fill(NaN, r * 8 + 5, r * 8 + 8);
        return m;
      },
      maskShape: [1, 2, 2, 8],
    }),
  );

  c.push(gqa('sinks', 'decode', 'sinks (gpt-oss): per-head logit in the denominator only, decode', { B: 1, Sq: 1, Skv: 16, Hq: 8, Hkv: 2, D: 32 }, {}, { sinks: sinksUniform(-2, 2) }));
  c.push(gqa('sinks', 'prefill', 'sinks in a causal prefill of 6 (row 0 has one key + its sink)', { B: 1, Sq: 6, Skv: 6, Hq: 4, Hkv: 1, D: 32 }, {}, { sinks: sinksUniform(-2, 2) }));
  c.push(gqa('sinks', 'dominant', 'sinks of 20 dominate the softmax: outputs shrink toward zero', { B: 1, Sq: 2, Skv: 8, Hq: 2, Hkv: 1, D: 16 }, {}, { sinks: sinksUniform(19, 21) }));
  c.push(gqa('sinks', 'window', 'sinks with window 4 (gpt-oss sliding layers)', { B: 2, Sq: 3, Skv: 10, Hq: 4, Hkv: 2, D: 32 }, { window: 4, kvLength: [10, 7] }, { sinks: sinksUniform(-1, 1) }));
  c.push(gqa('sinks', 'negative-large', 'sinks of -30: negligible (as if absent)', { B: 1, Sq: 1, Skv: 5, Hq: 2, Hkv: 2, D: 16 }, {}, { sinks: sinksUniform(-31, -29) }));

  c.push(gqa('headDimV', '64-32', 'dv 32 != d 64', { B: 1, Sq: 3, Skv: 9, Hq: 4, Hkv: 2, D: 64, Dv: 32 }));
  c.push(gqa('headDimV', '6-10', 'dv 10 > d 6', { B: 2, Sq: 2, Skv: 7, Hq: 2, Hkv: 1, D: 6, Dv: 10 }));
  c.push(gqa('headDimV', '128-64-mqa', 'dv 64, d 128, MQA Hq 8 / Hkv 1, decode', { B: 1, Sq: 1, Skv: 30, Hq: 8, Hkv: 1, D: 128, Dv: 64 }));
  c.push(gqa('headDimV', '32-96', 'dv 96 > d 32 with a window', { B: 1, Sq: 4, Skv: 8, Hq: 2, Hkv: 1, D: 32, Dv: 96 }, { window: 3 }));

  c.push(gqa('scale', '0.05', 'explicit scale 0.05', { B: 1, Sq: 2, Skv: 6, Hq: 2, Hkv: 1, D: 32 }, { scale: 0.05 }));
  c.push(gqa('scale', '1', 'explicit scale 1 (no 1/sqrt(d)) with larger scores', { B: 1, Sq: 2, Skv: 6, Hq: 2, Hkv: 1, D: 16 }, { scale: 1 }, { qkScale: 1.5 }));

  c.push(
    gqa('special', 'nan-q', 'a NaN in q makes that query head NaN and no other output', { B: 1, Sq: 3, Skv: 5, Hq: 4, Hkv: 2, D: 16 }, {}, {
      edit: ({ q }) => {
        q[(1 * 4 + 2) * 16 + 5] = NaN; // query 1, head 2
      },
    }),
  );
  c.push(gqa('special', 'large-scores', 'huge scores (|q|, |k| ~ 30, d 64): softmax must subtract the max and stay finite', { B: 1, Sq: 3, Skv: 16, Hq: 2, Hkv: 1, D: 64 }, {}, { qkScale: 30 }));
  c.push(
    gqa('special', 'equal-keys', 'identical keys: uniform weights, the output is the mean of the visible values', { B: 1, Sq: 3, Skv: 7, Hq: 2, Hkv: 1, D: 16 }, {}, {
      edit: ({ k }) => {
        for (let j = 1; j < 7; j++) k.copyWithin(j * 16, 0, 16);
      },
    }),
  );

  // Non-finite K/V at keys a row may not see (causality, window) but below kvLength: the
  // reference never reads them, so those rows stay finite; rows that see them follow the
  // formula (a NaN or +Inf score/value reaches them, 0 * NaN included).
  /** Flat index of key/value `j`, KV head `h`, dim `t` in a batch-1 k or v of `dims`. */
  const at = (dims: { Hkv: number; D: number }, j: number, h: number, t: number) => (j * dims.Hkv + h) * dims.D + t;
  const pre = { B: 1, Sq: 6, Skv: 6, Hq: 4, Hkv: 2, D: 16 };
  c.push(
    gqa('special', 'nonfinite-v-causal', 'NaN and +Inf in v at keys 3 and 4: causal rows 0..2 never see them and stay finite', pre, {}, {
      edit: ({ v }) => {
        v[at(pre, 3, 0, 2)] = NaN;
        v[at(pre, 4, 1, 7)] = Infinity;
      },
    }),
  );
  c.push(
    gqa('special', 'nonfinite-k-causal', 'NaN and +Inf in k at keys 3 and 4: causal rows 0..2 never see them and stay finite', pre, {}, {
      edit: ({ k }) => {
        k[at(pre, 3, 0, 5)] = NaN;
        k[at(pre, 4, 1, 0)] = Infinity;
      },
    }),
  );
  const win = { B: 1, Sq: 8, Skv: 8, Hq: 4, Hkv: 2, D: 16 };
  c.push(
    gqa('special', 'nonfinite-window', 'window 2: NaN in v at key 1, NaN/+Inf in k at key 2; rows past the window (and before, causally) stay finite', win, { window: 2 }, {
      edit: ({ k, v }) => {
        for (let h = 0; h < 2; h++) v[at(win, 1, h, 3)] = NaN;
        k[at(win, 2, 0, 9)] = NaN;
        k[at(win, 2, 1, 9)] = Infinity;
      },
    }),
  );
  const dec = { B: 1, Sq: 1, Skv: 24, Hq: 8, Hkv: 2, D: 32 };
  c.push(
    gqa('special', 'nonfinite-decode', 'decode at queryOffset 9 with window 4, kvLength 20: NaN/+Inf in k and v at keys 3 (window) and 12, 15 (causal) are never seen', dec, { queryOffset: 9, window: 4, kvLength: 20 }, {
      edit: ({ k, v }) => {
        for (let h = 0; h < 2; h++) {
          v[at(dec, 3, h, 0)] = NaN;
          k[at(dec, 3, h, 1)] = Infinity;
          v[at(dec, 12, h, 4)] = Infinity;
          k[at(dec, 15, h, 2)] = NaN;
        }
      },
    }),
  );
  // -Inf from the additive mask at the NaN's columns, which no row may see anyway (window,
  // causality): still finite. Queries at positions 8..11, window 4, kvLength 12 of 16.
  const chunk = { B: 1, Sq: 4, Skv: 16, Hq: 4, Hkv: 2, D: 16 };
  c.push(
    gqa('special', 'nonfinite-masked-column', 'NaN in v/k at keys 3, 4 (outside every window) and 10 (after queries 0, 1), masked -Inf there: rows that cannot see them stay finite', chunk, { queryOffset: 8, window: 4, kvLength: 12 }, {
      edit: ({ k, v }) => {
        v[at(chunk, 3, 0, 2)] = NaN;
        k[at(chunk, 4, 1, 6)] = NaN;
        v[at(chunk, 10, 0, 5)] = NaN; // queries 2, 3 see it with weight > 0: NaN there
      },
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 1);
        for (let i = 0; i < 4; i++) m[i * 16 + 3] = m[i * 16 + 4] = -Infinity;
        m[0 * 16 + 10] = m[1 * 16 + 10] = -Infinity;
        return m;
      },
      maskShape: [1, 1, 4, 16],
    }),
  );
  // A row whose every visible key is -Inf in the mask has no visible key: zeros, even when a
  // value it sees with weight 0 is NaN (and with a sink, which has no value).
  const allMasked = (sinks: boolean) => {
    const dims = { B: 1, Sq: 4, Skv: 4, Hq: 2, Hkv: 1, D: 16 };
    return gqa(sinks ? 'sinks' : 'special', 'all-masked-nan-v', `row 1's visible keys 0, 1 are all -Inf in the mask and v is NaN at key 1: row 1 is zeros${sinks ? ' (with sinks)' : ''}; rows 2, 3 see key 1 (NaN)`, dims, {}, {
      edit: ({ v }) => v.fill(NaN, 16, 32),
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 1);
        m[4] = m[5] = -Infinity;
        return m;
      },
      maskShape: [1, 1, 4, 4],
      ...(sinks ? { sinks: sinksUniform(-1, 1) } : {}),
    });
  };
  c.push(allMasked(false), allMasked(true));
  const decMasked = { B: 1, Sq: 1, Skv: 8, Hq: 4, Hkv: 2, D: 16 };
  c.push(
    gqa('special', 'all-masked-decode', 'decode whose 6 valid keys are all -Inf in the mask, with NaN in v at key 2 (and NaN garbage past kvLength): zeros', decMasked, { kvLength: 6 }, {
      edit: ({ v }) => v.fill(NaN, 2 * 2 * 16, 3 * 2 * 16),
      mask: (_rng, shape) => new Float32Array(sizeOf(shape)).fill(-Infinity),
      maskShape: [1, 1, 1, 8],
    }),
  );

  c.push(gqa('shape', 'llama3-8b-decode', 'Llama-3-8B-like decode: Hq 32, Hkv 8, d 128, 50 of 64 cache slots', { B: 1, Sq: 1, Skv: 64, Hq: 32, Hkv: 8, D: 128 }, { kvLength: 50 }));
  c.push(gqa('shape', 'llama3-8b-prefill', 'Llama-3-8B-like causal prefill of 16', { B: 1, Sq: 16, Skv: 16, Hq: 32, Hkv: 8, D: 128 }));
  c.push(gqa('shape', 'llama3-8b-ragged', 'Llama-3-8B-like ragged batch decode, kvLength [7, 31, 18, 1]', { B: 4, Sq: 1, Skv: 32, Hq: 32, Hkv: 8, D: 128 }, { kvLength: [7, 31, 18, 1] }));
  c.push(gqa('shape', 'large-chunk', 'larger: 32 queries at the end of 96 keys, Hq 32, Hkv 8, d 128 (131K q values)', { B: 1, Sq: 32, Skv: 96, Hq: 32, Hkv: 8, D: 128 }));

  return withF16Variants(c, [
    'gqa/headDim/d64',
    'gqa/headDim/d128-decode',
    'gqa/heads/7-1-decode',
    'gqa/heads/32-8-decode',
    'gqa/decode/deep',
    'gqa/prefill/causal-16',
    'gqa/chunked/end-of-cache',
    'gqa/kvLength/ragged-decode',
    'gqa/kvLength/ragged-chunk-non-causal',
    'gqa/window/prefill-edge',
    'gqa/softcap/50',
    'gqa/mask/full',
    'gqa/sinks/decode',
    'gqa/headDimV/64-32',
    'gqa/noVisibleKey/before-cache',
    'gqa/shape/llama3-8b-decode',
  ]);
}

/** Every GQA case. */
export const gqaCases: readonly ConformanceCase[] = build();
