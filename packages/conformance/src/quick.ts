/**
 * The quick probe: a few dozen small fixed cases that reach every kernel path the built-in
 * backends have (each op and option family; decode, speculative, prefill and chunked
 * attention; MHA, GQA and MQA head layouts; head dims 64, 128 and odd; NaN garbage past
 * kvLength; masks, sinks, softcap, windows; views; the sizes where threads, block-major decode
 * and flash attention switch on; f16 storage where the backend has it). `chooseBackend` runs
 * it on a device before trusting a backend there. Shapes are small except the few "paths"
 * cases that must cross a size threshold; GPU backends compile the pipelines real work reuses.
 */
import type { Backend } from '@llama-ops/core';
import { cases } from './cases/index.js';
import type { ConformanceCase } from './cases/types.js';
import { CaseMemo, runCase, type CaseResult } from './run-case.js';

/** Ids of the quick subset, in run order (cheap families first, so a broken backend fails fast). */
export const QUICK_CASE_IDS: readonly string[] = Object.freeze([
  'rmsnorm/hidden/d64',
  'rmsnorm/hidden/d33',
  'rmsnorm/residual/d64',
  'rmsnorm/weightOffset/gemma',
  'rmsnorm/eps/dominant',
  'rmsnorm/magnitude/1e18',
  'rmsnorm/special/nan-rows',
  'rmsnorm/paths/rows-96x4096',
  'addRmsnorm/hidden/d64',
  'addRmsnorm/hidden/d4096',
  'rope/headDim/d128-half',
  'rope/headDim/d64-interleaved',
  'rope/rotaryDim/d10-rd4-half',
  'rope/positions/explicit-ragged',
  'rope/inPlace/half',
  'rope/scaling/yarn-default',
  'rope/paths/prefill-384x8x128',
  'gqa/heads/32-8-decode',
  'gqa/heads/32-1-decode',
  'gqa/heads/7-1-decode',
  'gqa/heads/8-8-prefill-mha',
  'gqa/headDim/d6',
  'gqa/headDim/d128-decode',
  'gqa/prefill/causal-37',
  'gqa/chunked/speculative',
  'gqa/decode/deep',
  'gqa/kvLength/ragged-decode',
  'gqa/window/ragged',
  'gqa/softcap/mask',
  'gqa/mask/broadcast-1h',
  'gqa/sinks/prefill',
  'gqa/headDimV/128-64-mqa',
  'gqa/special/nonfinite-k-causal',
  'gqa/noVisibleKey/before-cache',
  'gqa/paths/prefill-40-32x8x64',
  'gqa/paths/decode-8x8x128-2048',
  'gqa/paths/decode-mqa-32x1x64-640',
  'kvcache/decoder/chunked-prefill',
  'gqa/views/packed-prefill-causal-16',
  'rope/views/packed-headDim-d64-interleaved',
  'rmsnorm/views/strided-hidden-d64',
  // f16 storage (skipped on backends without f16)
  'rmsnorm/hidden/d64/f16',
  'rope/headDim/d128-interleaved/f16',
  'gqa/heads/32-8-decode/f16',
  'gqa/prefill/causal-16/f16',
  'kvcache/decoder/chunked-prefill/f16',
  'gqa/paths/decode-8x8x128-2048/f16',
  'gqa/paths/prefill-40-32x8x64/f16',
]);

/** The quick subset's cases (every id resolved; throws on a stale id). */
export function quickCases(): ConformanceCase[] {
  return QUICK_CASE_IDS.map((id) => {
    const c = cases.find((x) => x.id === id);
    if (!c) throw new Error(`@llama-ops/conformance: quick case ${id} is not in the suite`);
    return c;
  });
}

/** Outcome of {@link runQuick}. */
export interface QuickResult {
  /** Every case that ran passed. */
  pass: boolean;
  /** Cases run (those of dtypes the backend stores). */
  ran: number;
  /** The first failing case's result, when one failed (the probe stops there). */
  failure?: CaseResult;
  /** Wall-clock milliseconds, including GPU pipeline compilation and the reference. */
  ms: number;
}

/**
 * Run the quick subset on `backend`, stopping at the first failure.
 * @param options.cases - run these instead (e.g. the whole suite for `verify: 'full'`).
 * @param options.memo - inputs and reference results to share with other probes (default: a
 *   new one for this call of the quick subset; `chooseBackend` shares one between its candidates).
 */
export async function runQuick(backend: Backend, options: { cases?: readonly ConformanceCase[]; memo?: CaseMemo } = {}): Promise<QuickResult> {
  const t0 = performance.now();
  const dtypes = backend.capabilities.dtypes;
  // A case and its f16 variant build the same inputs once; where f16 stores them exactly
  // (the paths cases are built on the f16 grid), the reference is computed once too.
  // (Not for a caller's own list, e.g. the whole suite: the memo would hold all its inputs.)
  const memo = options.memo ?? (options.cases ? undefined : new CaseMemo());
  let ran = 0;
  for (const c of options.cases ?? quickCases()) {
    if (!dtypes.includes(c.dtype)) continue;
    // Inputs of up to 256K elements are checked for writes (every small case); the multi-MiB
    // "paths" inputs are not read back (the full suite checks them).
    const r = await runCase(backend, c, { inputCheckLimit: 1 << 18, memo });
    ran++;
    if (!r.pass) return { pass: false, ran, failure: r, ms: performance.now() - t0 };
  }
  return { pass: true, ran, ms: performance.now() - t0 };
}
