/**
 * The benchmark rows: Llama shapes for every op, how many bytes each moves and (attention)
 * how many FLOPs it does, and the targets the wasm backend is held to.
 *
 * Shapes: Llama-3.2-1B (hidden 2048, Hq 32, Hkv 8, headDim 64) and Llama-3-8B (hidden 4096,
 * Hq 32, Hkv 8, headDim 128); GQA 32/4/64 adds a wider group (8 query heads per KV head).
 * Prefill is 512 tokens, causal; decode is one query at the end of a 2048-token KV cache.
 */
import { attentionFlops } from './stats.js';

/** The op a row runs, as core names it. */
export type BenchOp = 'rmsnorm' | 'addRmsnorm' | 'rope' | 'gqa';

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
  /** Keys in the cache (= visible length: the cache is full). */
  readonly seqKV: number;
  readonly headsQ: number;
  readonly headsKV: number;
  readonly headDim: number;
  readonly causal: boolean;
}

export type RowParams = RmsnormRowParams | RopeRowParams | GqaRowParams;

/**
 * A goal the wasm backend is held to on a row (from the performance issue):
 * - `speedup`: `subject` at least `min` times as fast as `peer` (ratio of median times);
 * - `copyFraction`: `subject`'s GB/s at least `min` of the copy bandwidth of the same bytes;
 * - `within`: at `threads` threads, `subject` no slower than `max` times `peer`'s time.
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
  readonly group: 'RMSNorm' | 'RoPE' | 'Attention';
  /** Human title, e.g. `RMSNorm [2048, 4096]`. */
  readonly title: string;
  readonly params: RowParams;
  /** Bytes read plus bytes written by one call (f32), counting each tensor once. */
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
    params: { kind: 'gqa', phase, batch: 1, seqQ, seqKV, headsQ, headsKV, headDim, causal: true },
    bytes,
    flops: attentionFlops({ seqQ, kvLength: seqKV, causal: true, headsQ, headDim }),
    metric: 'GFLOP/s',
    targets,
  };
}

const vsWeb = (min: number): TargetSpec => ({ kind: 'speedup', subject: 'wasm', peer: 'ort-web', min });

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
]);

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

/** Make the inputs of `row` (deterministic). */
export function makeInputs(row: BenchRow): RowInputs {
  const p = row.params;
  if (p.kind === 'rmsnorm') {
    const n = p.rows * p.hidden;
    return {
      kind: 'rmsnorm',
      x: randomValues(n, 1),
      residual: p.residual ? randomValues(n, 2) : null,
      weight: randomValues(p.hidden, 3, 0.5).map((w) => 1 + w),
    };
  }
  if (p.kind === 'rope') return { kind: 'rope', x: randomValues(p.batch * p.seq * p.heads * p.headDim, 4) };
  return {
    kind: 'gqa',
    q: randomValues(p.batch * p.seqQ * p.headsQ * p.headDim, 5),
    k: randomValues(p.batch * p.seqKV * p.headsKV * p.headDim, 6),
    v: randomValues(p.batch * p.seqKV * p.headsKV * p.headDim, 7),
  };
}
