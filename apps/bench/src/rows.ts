/**
 * The benchmark rows: Llama shapes for every op, how many bytes each moves and (attention)
 * how many FLOPs it does, and the targets each backend is held to.
 *
 * Default rows (`ROWS`, size `default`): Llama-3.2-1B (hidden 2048, Hq 32, Hkv 8, headDim 64)
 * and Llama-3-8B (hidden 4096, Hq 32, Hkv 8, headDim 128) shapes in f32; GQA 32/4/64 adds a
 * wider group (8 query heads per KV head). Prefill is 512 tokens, causal; decode is one query
 * at the end of a 2048-token KV cache.
 *
 * GPU rows (`GPU_ROWS`, size `gpu`): the sizes a GPU is for, in f32 and f16 storage:
 * RMSNorm [8192, 8192], RoPE q [1, 8192, 32, 128], GQA 32/8/128 prefill 4096 and 16384,
 * decode over 32768 and 131072 keys at batch 1 and 16 (ragged kvLength), MHA and MQA decode.
 * `GPU_QUICK_ROWS` are the same rows at reduced shapes, for software adapters and smoke runs.
 */
import { fromFloat16Array, toFloat16Array } from '@llama-ops/core';
import { attentionFlops } from './stats.js';

/** The op a row runs, as core names it. */
export type BenchOp = 'rmsnorm' | 'addRmsnorm' | 'rope' | 'gqa';

/** Storage dtype of a row's tensors. */
export type BenchDType = 'f32' | 'f16';

/**
 * Which row set: the default Llama rows, the GPU-sized rows (`--size gpu`), or the
 * long-context decode rows (`--size long`, run by long.ts at 1 and 2 threads).
 */
export type BenchSize = 'default' | 'gpu' | 'long';

/** Row sets by name (`--size`). */
export const BENCH_SIZES: readonly BenchSize[] = ['default', 'gpu', 'long'];

/** Parameters of an RMSNorm row (`addRmsnorm` when `residual`). */
export interface RmsnormRowParams {
  readonly kind: 'rmsnorm';
  readonly rows: number;
  readonly hidden: number;
  /** Fused add & norm: also reads a residual and writes the sum. */
  readonly residual: boolean;
  readonly eps: number;
}

/** Parameters of a RoPE row: q or k of one Llama-3 layer at `seq` tokens from `start`. */
export interface RopeRowParams {
  readonly kind: 'rope';
  readonly tensor: 'q' | 'k';
  readonly batch: number;
  readonly seq: number;
  readonly heads: number;
  readonly headDim: number;
  /** Position of the first token (a decode step sits deep in the cache). */
  readonly start: number;
  readonly theta: number;
}

/** Parameters of an attention row (bshd, causal, bottom-right aligned). */
export interface GqaRowParams {
  readonly kind: 'gqa';
  readonly phase: 'prefill' | 'decode';
  readonly batch: number;
  readonly seqQ: number;
  /** Keys the cache holds (the longest `kvLength`; default rows: every cache is full). */
  readonly seqKV: number;
  readonly headsQ: number;
  readonly headsKV: number;
  readonly headDim: number;
  readonly causal: boolean;
  /**
   * Valid keys per batch entry (`[batch]`, each at most `seqKV`): the queries are the last
   * `seqQ` of them (bottom-right causal). Ragged when the entries differ.
   */
  readonly kvLength: readonly number[];
  /**
   * A decode step (the JS-in, JS-out decode row): before attention, the queries and the
   * newest `seqQ` keys are rotated (RoPE, default pairing) at their positions
   * `kvLength - seqQ + i`, with this base. Absent: q and k are used as given.
   */
  readonly rotary?: { readonly theta: number };
}

export type RowParams = RmsnormRowParams | RopeRowParams | GqaRowParams;

/**
 * A goal a backend is held to on a row (from the performance issues):
 * - `speedup`: `subject` at least `min` times as fast as `peer` (ratio of median times);
 * - `copyFraction`: `subject`'s GB/s at least `min` of the copy bandwidth (host rows: a copy
 *   of the same bytes; GPU rows: the device's copy bandwidth);
 * - `within`: at `threads` threads, `subject` no slower than `max` times `peer`'s time.
 * Targets on GPU rows are judged only on a hardware adapter (software Vulkan has no speed targets).
 */
export type TargetSpec =
  | { readonly kind: 'speedup'; readonly subject: string; readonly peer: string; readonly min: number }
  | { readonly kind: 'copyFraction'; readonly subject: string; readonly min: number }
  | { readonly kind: 'within'; readonly subject: string; readonly peer: string; readonly max: number; readonly threads: number };

/** One benchmark row. */
export interface BenchRow {
  /** Stable id, e.g. `rmsnorm-2048x4096`, `gqa-32-8-64-decode2048`. */
  readonly id: string;
  readonly op: BenchOp;
  /** Group for tables and charts. */
  readonly group: 'RMSNorm' | 'RoPE' | 'Attention' | 'JS in, JS out';
  /** Human title, e.g. `RMSNorm [2048, 4096]`. */
  readonly title: string;
  readonly params: RowParams;
  /** Storage dtype of every input and output (f16: f32 accumulation inside the kernels). */
  readonly dtype: BenchDType;
  /** `default`: the Llama-shape rows every backend runs; `gpu`: the rows a GPU is for; `long`: long-context decode. */
  readonly size: BenchSize;
  /**
   * `js`: the timed call is what a user sees end to end: it uploads the inputs from the
   * caller's `Float32Array`s, runs the op, and reads the outputs back into the caller's
   * arrays (our backends: upload into existing tensors, `out` options, `read(into)`; the ORT
   * peers: input tensors made from the arrays, `run`, output data). Absent: the inputs stay
   * in the contender's memory and only the op is timed.
   */
  readonly io?: 'js';
  /** A quick-mode stand-in at reduced shapes: the title of the full row it replaces. */
  readonly reducedFrom?: string;
  /** Bytes read plus bytes written by one call (in the row's dtype), counting each tensor once. */
  readonly bytes: number;
  /** Floating-point operations of one call (attention: `4 * sum(visible keys) * Hq * d`), else null. */
  readonly flops: number | null;
  /** The throughput the row is judged by. */
  readonly metric: 'GB/s' | 'GFLOP/s';
  readonly targets: readonly TargetSpec[];
}

const F32 = 4;
/** Llama-3's RoPE base. */
const LLAMA3_THETA = 500000;
/** Every headline row also has the 2-thread goal: within 1.2x of onnxruntime-node. */
const WITHIN_NODE: TargetSpec = { kind: 'within', subject: 'wasm', peer: 'ort-node', max: 1.2, threads: 2 };

function rmsnormRow(rows: number, hidden: number, residual: boolean, targets: TargetSpec[] = []): BenchRow {
  const n = rows * hidden;
  // x (+ residual) read, weight read, y (+ sum) written.
  const bytes = F32 * (residual ? 4 * n + hidden : 2 * n + hidden);
  return {
    id: `${residual ? 'add-rmsnorm' : 'rmsnorm'}-${rows}x${hidden}`,
    op: residual ? 'addRmsnorm' : 'rmsnorm',
    group: 'RMSNorm',
    title: `${residual ? 'add+RMSNorm' : 'RMSNorm'} [${rows}, ${hidden}]`,
    params: { kind: 'rmsnorm', rows, hidden, residual, eps: 1e-5 },
    dtype: 'f32',
    size: 'default',
    bytes,
    flops: null,
    metric: 'GB/s',
    targets,
  };
}

function ropeRow(tensor: 'q' | 'k', seq: number, headDim: number, targets: TargetSpec[] = []): BenchRow {
  const heads = tensor === 'q' ? 32 : 8;
  const start = seq === 1 ? 2047 : 0;
  // x read, out written, and the cos/sin table rows read (seq x headDim/2, twice).
  const bytes = F32 * (2 * seq * heads * headDim + seq * headDim);
  return {
    id: `rope-${tensor}-s${seq}-d${headDim}`,
    op: 'rope',
    group: 'RoPE',
    title: `RoPE ${tensor} [1, ${seq}, ${heads}, ${headDim}]`,
    params: { kind: 'rope', tensor, batch: 1, seq, heads, headDim, start, theta: LLAMA3_THETA },
    dtype: 'f32',
    size: 'default',
    bytes,
    flops: null,
    metric: 'GB/s',
    targets,
  };
}

function gqaRow(headsQ: number, headsKV: number, headDim: number, phase: 'prefill' | 'decode', targets: TargetSpec[]): BenchRow {
  const seqQ = phase === 'prefill' ? 512 : 1;
  const seqKV = phase === 'prefill' ? 512 : 2048;
  // q, k, v read, out written.
  const bytes = F32 * (2 * seqQ * headsQ * headDim + 2 * seqKV * headsKV * headDim);
  // One KV head per query head is plain multi-head attention (Llama 2).
  const kind = headsQ === headsKV ? 'MHA' : 'GQA';
  return {
    id: `gqa-${headsQ}-${headsKV}-${headDim}-${phase}${phase === 'prefill' ? seqQ : seqKV}`,
    op: 'gqa',
    group: 'Attention',
    title:
      phase === 'prefill'
        ? `${kind} ${headsQ}/${headsKV}/${headDim} prefill ${seqQ} causal`
        : `${kind} ${headsQ}/${headsKV}/${headDim} decode over ${seqKV}`,
    params: { kind: 'gqa', phase, batch: 1, seqQ, seqKV, headsQ, headsKV, headDim, causal: true, kvLength: [seqKV] },
    dtype: 'f32',
    size: 'default',
    bytes,
    flops: attentionFlops({ seqQ, kvLength: seqKV, causal: true, headsQ, headDim }),
    metric: 'GFLOP/s',
    targets,
  };
}

const vsWeb = (min: number): TargetSpec => ({ kind: 'speedup', subject: 'wasm', peer: 'ort-web', min });

/**
 * The "JS in, JS out" rows: an op as a user sees it end to end (see {@link BenchRow.io}),
 * held to 4x onnxruntime-web's user-visible time. The decode step is one token of a Llama 3
 * 8B layer (32/8/128) over a 2048-key cache: q and k rotated, the new key and value written
 * to the cache, attention over it, the output read back. onnxruntime-web's decode step is
 * its decode path: RotaryEmbedding on q and on k, then GroupQueryAttention with the past
 * cache as input (`ort-web-gqa`).
 */
function jsIoRows(): BenchRow[] {
  const io = { io: 'js' as const, group: 'JS in, JS out' as const };
  const norm = rmsnormRow(2048, 4096, false, [vsWeb(4)]);
  const rotate = ropeRow('q', 512, 128, [vsWeb(4)]);
  const decode = gqaRow(32, 8, 128, 'decode', [{ kind: 'speedup', subject: 'wasm', peer: 'ort-web-gqa', min: 4 }]);
  const decodeParams = decode.params as GqaRowParams;
  return [
    { ...norm, ...io, id: 'js-io-rmsnorm-2048-4096', title: `${norm.title}, JS in → JS out` },
    { ...rotate, ...io, id: 'js-io-rope-q-512-128', title: `${rotate.title}, JS in → JS out` },
    {
      ...decode,
      ...io,
      id: 'js-io-decode-32-8-128-kv2048',
      title: 'Decode step 32/8/128 over 2048 (RoPE q, k + cache + GQA), JS in → JS out',
      params: { ...decodeParams, rotary: { theta: LLAMA3_THETA } },
    },
  ];
}

/** Every row, in report order. */
export const ROWS: readonly BenchRow[] = Object.freeze([
  rmsnormRow(1, 4096, false),
  rmsnormRow(512, 2048, false),
  rmsnormRow(2048, 4096, false, [vsWeb(1.5), { kind: 'copyFraction', subject: 'wasm', min: 0.75 }, WITHIN_NODE]),
  rmsnormRow(1, 4096, true),
  rmsnormRow(2048, 4096, true),
  ropeRow('q', 1, 64),
  ropeRow('k', 1, 64),
  ropeRow('q', 512, 64, [vsWeb(8), WITHIN_NODE]),
  ropeRow('k', 512, 64, [vsWeb(8), WITHIN_NODE]),
  ropeRow('q', 1, 128),
  ropeRow('k', 1, 128),
  ropeRow('q', 512, 128, [vsWeb(8), WITHIN_NODE]),
  ropeRow('k', 512, 128, [vsWeb(8), WITHIN_NODE]),
  gqaRow(32, 8, 64, 'prefill', [vsWeb(4), WITHIN_NODE]),
  gqaRow(32, 8, 64, 'decode', [vsWeb(4), WITHIN_NODE]),
  gqaRow(32, 4, 64, 'prefill', [vsWeb(4), WITHIN_NODE]),
  gqaRow(32, 4, 64, 'decode', [vsWeb(4), WITHIN_NODE]),
  gqaRow(32, 8, 128, 'prefill', [vsWeb(4), WITHIN_NODE]),
  gqaRow(32, 8, 128, 'decode', [vsWeb(4), WITHIN_NODE]),
  // Llama 2 7B: no target in the issue, measured to show the MHA path.
  gqaRow(32, 32, 128, 'decode', []),
  ...jsIoRows(),
]);

const BYTES_PER_ELEMENT: Record<BenchDType, number> = { f32: 4, f16: 2 };

/** Targets of a full-size GPU row (reduced quick rows have none: small shapes cannot fill a GPU). */
const GPU_TARGETS = {
  /** RMSNorm, add+RMSNorm, RoPE: at least onnxruntime-web's WebGPU EP, and 70 % of the device copy. */
  streaming: [
    { kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu', min: 1 },
    { kind: 'copyFraction', subject: 'webgpu', min: 0.7 },
  ] as TargetSpec[],
  /** Attention: at least 2x onnxruntime-web's WebGPU GroupQueryAttention. */
  attention: [{ kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu-gqa', min: 2 }] as TargetSpec[],
  /** Long decode reads K/V once: at least half the device copy bandwidth. */
  longDecode: [{ kind: 'copyFraction', subject: 'webgpu', min: 0.5 }] as TargetSpec[],
};

/**
 * Ragged cache lengths of a batch decoding over up to `keys` keys: entry `b` holds
 * `keys - floor(b * keys / (2 * batch))` (the first full, the last a little over half),
 * as a server batching requests of different lengths would.
 */
export function raggedLengths(batch: number, keys: number): number[] {
  return Array.from({ length: batch }, (_, b) => keys - Math.floor((b * keys) / (2 * batch)));
}

function gpuRmsnormRow(rows: number, hidden: number, residual: boolean, dtype: BenchDType, reducedFrom: string | null): BenchRow {
  const n = rows * hidden;
  const e = BYTES_PER_ELEMENT[dtype];
  const title = `${residual ? 'add+RMSNorm' : 'RMSNorm'} [${rows}, ${hidden}] ${dtype}`;
  return {
    id: `gpu-${residual ? 'add-rmsnorm' : 'rmsnorm'}-${rows}x${hidden}-${dtype}`,
    op: residual ? 'addRmsnorm' : 'rmsnorm',
    group: 'RMSNorm',
    title,
    params: { kind: 'rmsnorm', rows, hidden, residual, eps: 1e-5 },
    dtype,
    size: 'gpu',
    ...(reducedFrom ? { reducedFrom } : {}),
    bytes: e * (residual ? 4 * n + hidden : 2 * n + hidden),
    flops: null,
    metric: 'GB/s',
    targets: reducedFrom ? [] : GPU_TARGETS.streaming,
  };
}

function gpuRopeRow(seq: number, dtype: BenchDType, reducedFrom: string | null): BenchRow {
  const heads = 32;
  const headDim = 128;
  const e = BYTES_PER_ELEMENT[dtype];
  return {
    id: `gpu-rope-q-s${seq}-d${headDim}-${dtype}`,
    op: 'rope',
    group: 'RoPE',
    title: `RoPE q [1, ${seq}, ${heads}, ${headDim}] ${dtype}`,
    params: { kind: 'rope', tensor: 'q', batch: 1, seq, heads, headDim, start: 0, theta: LLAMA3_THETA },
    dtype,
    size: 'gpu',
    ...(reducedFrom ? { reducedFrom } : {}),
    // x read and out written in the row's dtype; the cos/sin rows (f32 in every backend we know).
    bytes: e * 2 * seq * heads * headDim + F32 * seq * headDim,
    flops: null,
    metric: 'GB/s',
    targets: reducedFrom ? [] : GPU_TARGETS.streaming,
  };
}

interface GpuAttentionShape {
  headsQ: number;
  headsKV: number;
  phase: 'prefill' | 'decode';
  /** Prefill: tokens (queries = keys); decode: keys in the longest cache. */
  tokens: number;
  batch: number;
  /** Held to the long-decode bandwidth target (decode over 32768 and 131072 keys). */
  longDecode?: boolean;
}

function gpuAttentionRow(s: GpuAttentionShape, dtype: BenchDType, reducedFrom: string | null): BenchRow {
  const headDim = 128;
  const { headsQ, headsKV, phase, tokens, batch } = s;
  const seqQ = phase === 'prefill' ? tokens : 1;
  const kvLength = batch === 1 ? [tokens] : raggedLengths(batch, tokens);
  const e = BYTES_PER_ELEMENT[dtype];
  const keysRead = kvLength.reduce((a, l) => a + l, 0);
  const visible = kvLength.reduce((a, l) => a + attentionFlops({ seqQ, kvLength: l, causal: true, headsQ, headDim }), 0);
  const kind = headsQ === headsKV ? 'MHA' : headsKV === 1 ? 'MQA' : 'GQA';
  const shape = `${kind} ${headsQ}/${headsKV}/${headDim}`;
  const title =
    phase === 'prefill'
      ? `${shape} prefill ${tokens} causal ${dtype}`
      : `${shape} decode over ${tokens}${batch > 1 ? `, batch ${batch} ragged (${kvLength[batch - 1]}..${tokens})` : ''} ${dtype}`;
  const targets = reducedFrom ? [] : [...GPU_TARGETS.attention, ...(s.longDecode ? GPU_TARGETS.longDecode : [])];
  return {
    id: `gpu-gqa-${headsQ}-${headsKV}-${headDim}-${phase}${tokens}${batch > 1 ? `-b${batch}` : ''}-${dtype}`,
    op: 'gqa',
    group: 'Attention',
    title,
    params: { kind: 'gqa', phase, batch, seqQ, seqKV: tokens, headsQ, headsKV, headDim, causal: true, kvLength },
    dtype,
    size: 'gpu',
    ...(reducedFrom ? { reducedFrom } : {}),
    // q read, out written, and the valid K/V rows read once.
    bytes: e * (2 * batch * seqQ * headsQ * headDim + 2 * keysRead * headsKV * headDim),
    flops: visible,
    metric: 'GFLOP/s',
    targets,
  };
}

/**
 * The GPU rows, full size or (`reduced`) at the shapes quick mode uses, each in f32 and f16.
 * Reduced rows keep the structure (hidden 8192, 32 heads of 128, batch 16 ragged) and shrink
 * the token and key counts.
 */
function gpuRows(reduced: boolean): BenchRow[] {
  const pick = (fullSize: number, reducedSize: number) => (reduced ? reducedSize : fullSize);
  const rows: BenchRow[] = [];
  const both = (make: (dtype: BenchDType, reducedFrom: string | null) => BenchRow, fullTitle: (dtype: BenchDType) => string) => {
    for (const dtype of ['f32', 'f16'] as const) rows.push(make(dtype, reduced ? fullTitle(dtype) : null));
  };
  for (const residual of [false, true]) {
    both(
      (d, f) => gpuRmsnormRow(pick(8192, 16), 8192, residual, d, f),
      (d) => gpuRmsnormRow(8192, 8192, residual, d, null).title,
    );
  }
  both(
    (d, f) => gpuRopeRow(pick(8192, 16), d, f),
    (d) => gpuRopeRow(8192, d, null).title,
  );
  // Decode first and prefill last: a peer kernel that hangs the device queue (seen with
  // onnxruntime-web's flash attention on lavapipe) then costs the fewest rows. Reduced
  // prefill stays below 32 tokens, where ORT 1.30 does not use its flash attention (wrong on
  // software adapters' subgroup sizes 4 and 8, and hanging on lavapipe in f16); full-size
  // rows use it, and the reference check before timing says whether it is right there.
  const attention: Array<[GpuAttentionShape, number]> = [
    [{ headsQ: 32, headsKV: 8, phase: 'decode', tokens: 32768, batch: 1, longDecode: true }, 64],
    [{ headsQ: 32, headsKV: 8, phase: 'decode', tokens: 32768, batch: 16, longDecode: true }, 64],
    [{ headsQ: 32, headsKV: 8, phase: 'decode', tokens: 131072, batch: 1, longDecode: true }, 256],
    [{ headsQ: 32, headsKV: 8, phase: 'decode', tokens: 131072, batch: 16, longDecode: true }, 256],
    [{ headsQ: 32, headsKV: 32, phase: 'decode', tokens: 8192, batch: 1 }, 64],
    [{ headsQ: 32, headsKV: 1, phase: 'decode', tokens: 32768, batch: 1 }, 128],
    [{ headsQ: 32, headsKV: 8, phase: 'prefill', tokens: 4096, batch: 1 }, 16],
    [{ headsQ: 32, headsKV: 8, phase: 'prefill', tokens: 16384, batch: 1 }, 24],
  ];
  for (const [shape, small] of attention) {
    both(
      (d, f) => gpuAttentionRow({ ...shape, tokens: pick(shape.tokens, small) }, d, f),
      (d) => gpuAttentionRow(shape, d, null).title,
    );
  }
  return rows;
}

/** The GPU-sized rows (`--size gpu`): f32 and f16 storage, GPU-time targets. */
export const GPU_ROWS: readonly BenchRow[] = Object.freeze(gpuRows(false));

/**
 * `GPU_ROWS` at reduced shapes (same structure, fewer tokens and keys), for quick runs and
 * software adapters, which cannot run the full rows in CI time. Each names the row it stands
 * in for in `reducedFrom`.
 */
export const GPU_QUICK_ROWS: readonly BenchRow[] = Object.freeze(gpuRows(true));

/**
 * Long-context decode rows (`--size long`): one query over 2048 (the ns-per-key baseline),
 * 8192, 32768 and 131072 keys (quick: 256 and 1024), GQA 32/8/64, GQA 32/8/128, MHA 32/32/128
 * and MQA 32/1/128, f32 and f16 caches; key counts outermost, so the largest rows come last.
 * `bytes` is q + out + K/V; long.ts judges the K/V bytes alone.
 */
export const LONG_LAYOUTS: ReadonlyArray<{ readonly headsQ: number; readonly headsKV: number; readonly headDim: number }> = [
  { headsQ: 32, headsKV: 8, headDim: 64 },
  { headsQ: 32, headsKV: 8, headDim: 128 },
  { headsQ: 32, headsKV: 32, headDim: 128 },
  { headsQ: 32, headsKV: 1, headDim: 128 },
];
/** Cache lengths of the long rows (the first is the ns-per-key baseline). */
export const LONG_KEYS: readonly number[] = [2048, 8192, 32768, 131072];
/** Cache lengths of the long rows in quick mode. */
export const LONG_QUICK_KEYS: readonly number[] = [256, 1024];

function longRow(headsQ: number, headsKV: number, headDim: number, keys: number, dtype: BenchDType): BenchRow {
  const kind = headsQ === headsKV ? 'MHA' : headsKV === 1 ? 'MQA' : 'GQA';
  const e = BYTES_PER_ELEMENT[dtype];
  return {
    id: `long-gqa-${headsQ}-${headsKV}-${headDim}-decode${keys}-${dtype}`,
    op: 'gqa',
    group: 'Attention',
    title: `${kind} ${headsQ}/${headsKV}/${headDim} decode over ${keys} ${dtype}`,
    params: { kind: 'gqa', phase: 'decode', batch: 1, seqQ: 1, seqKV: keys, headsQ, headsKV, headDim, causal: true, kvLength: [keys] },
    dtype,
    size: 'long',
    bytes: e * (2 * headsQ * headDim + 2 * keys * headsKV * headDim),
    flops: attentionFlops({ seqQ: 1, kvLength: keys, causal: true, headsQ, headDim }),
    metric: 'GB/s',
    targets: [],
  };
}

/** The long-context decode rows (`--size long`), full or at the quick key counts. */
export function longRows(quick = false): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const keys of quick ? LONG_QUICK_KEYS : LONG_KEYS) {
    for (const l of LONG_LAYOUTS) for (const dtype of ['f32', 'f16'] as const) rows.push(longRow(l.headsQ, l.headsKV, l.headDim, keys, dtype));
  }
  return rows;
}

/**
 * The rows of a size: `default` → `ROWS`; `gpu` → `GPU_ROWS` (`GPU_QUICK_ROWS` when `quick`);
 * `long` → `longRows(quick)`.
 */
export function rowsOfSize(size: BenchSize, quick = false): readonly BenchRow[] {
  if (size === 'gpu') return quick ? GPU_QUICK_ROWS : GPU_ROWS;
  if (size === 'long') return longRows(quick);
  return ROWS;
}

/**
 * The rows whose id, op or group matches `filter`: a substring (case-insensitive), a
 * RegExp, or a list of either (any match). No filter selects every row.
 */
export function selectRows(filter?: string | RegExp | readonly (string | RegExp)[], rows: readonly BenchRow[] = ROWS): BenchRow[] {
  if (filter === undefined) return [...rows];
  const tests = (Array.isArray(filter) ? filter : [filter]) as (string | RegExp)[];
  const matches = (row: BenchRow, t: string | RegExp) =>
    [row.id, row.op, row.group, row.title].some((s) => (typeof t === 'string' ? s.toLowerCase().includes(t.toLowerCase()) : t.test(s)));
  return rows.filter((row) => tests.some((t) => matches(row, t)));
}

/** Deterministic uniform values in `[-amp, amp)` (mulberry32), so every run sees the same inputs. */
export function randomValues(n: number, seed: number, amp = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * amp;
  }
  return out;
}

/** The host data of a row's inputs, made once per row and shared by every contender. */
export type RowInputs =
  | { kind: 'rmsnorm'; x: Float32Array; residual: Float32Array | null; weight: Float32Array }
  | { kind: 'rope'; x: Float32Array }
  | { kind: 'gqa'; q: Float32Array; k: Float32Array; v: Float32Array };

/**
 * Tensors above this many elements repeat a random block instead of drawing every value:
 * the GPU rows hold up to billions of elements, which mulberry32 would take minutes to draw.
 * Every default row is below it, so its inputs are exactly `randomValues`.
 */
export const TILE_ABOVE = 1 << 24;

/**
 * Length of the repeated block: a prime, so the repetition never lines up with a row, head
 * or key stride (a kernel reading the wrong key or head still reads a different value).
 */
export const TILE_BLOCK = 1_048_573;

/** `values` rounded to the nearest float16 (what an f16 tensor stores), in place. */
export function roundToF16(values: Float32Array): Float32Array {
  values.set(fromFloat16Array(toFloat16Array(values)));
  return values;
}

/**
 * `n` deterministic values in `[-amp, amp)` (`randomValues`, or a repeated block of
 * {@link TILE_BLOCK} of them above {@link TILE_ABOVE} elements), plus `offset`, rounded to
 * f16 when the row stores f16: then the f32 host copy is exactly what every contender
 * stores, and the float64 reference sees the same inputs.
 */
export function tensorValues(n: number, seed: number, dtype: BenchDType, amp = 1, offset = 0): Float32Array {
  const finish = (v: Float32Array) => {
    if (offset !== 0) for (let i = 0; i < v.length; i++) v[i] += offset;
    return dtype === 'f16' ? roundToF16(v) : v;
  };
  if (n <= TILE_ABOVE) return finish(randomValues(n, seed, amp));
  const block = finish(randomValues(TILE_BLOCK, seed, amp));
  const out = new Float32Array(n);
  out.set(block);
  // Double the filled prefix each step: a memcpy at memory speed.
  for (let filled = TILE_BLOCK; filled < n; ) {
    const count = Math.min(filled, n - filled);
    out.copyWithin(filled, 0, count);
    filled += count;
  }
  return out;
}

/**
 * Make the inputs of `row` (deterministic, f16-exact for f16 rows). A KV cache entry past its
 * batch's `kvLength` is NaN: SPEC.md says such keys are never read, so a kernel that reads
 * them shows up as a failed check instead of a fast wrong answer.
 */
export function makeInputs(row: BenchRow): RowInputs {
  const p = row.params;
  const dtype = row.dtype;
  if (p.kind === 'rmsnorm') {
    const n = p.rows * p.hidden;
    return {
      kind: 'rmsnorm',
      x: tensorValues(n, 1, dtype),
      residual: p.residual ? tensorValues(n, 2, dtype) : null,
      weight: tensorValues(p.hidden, 3, dtype, 0.5, 1),
    };
  }
  if (p.kind === 'rope') return { kind: 'rope', x: tensorValues(p.batch * p.seq * p.heads * p.headDim, 4, dtype) };
  const kvRow = p.headsKV * p.headDim;
  const k = tensorValues(p.batch * p.seqKV * kvRow, 6, dtype);
  const v = tensorValues(p.batch * p.seqKV * kvRow, 7, dtype);
  for (let b = 0; b < p.batch; b++) {
    const length = p.kvLength[b] ?? p.seqKV;
    if (length < p.seqKV) {
      k.fill(NaN, (b * p.seqKV + length) * kvRow, (b + 1) * p.seqKV * kvRow);
      v.fill(NaN, (b * p.seqKV + length) * kvRow, (b + 1) * p.seqKV * kvRow);
    }
  }
  return { kind: 'gqa', q: tensorValues(p.batch * p.seqQ * p.headsQ * p.headDim, 5, dtype), k, v };
}
