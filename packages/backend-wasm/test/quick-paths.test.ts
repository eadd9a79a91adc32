/**
 * The conformance kit's quick probe (what `chooseBackend` runs before trusting this backend)
 * reaches every kernel path of this backend at its default thresholds: each kernel on the
 * calling thread and, where it has one, on the worker pool; the GQA driver's tilings. The
 * probe's "paths" cases are sized just past the thresholds (src/*.ts: NS_PER_*, the default
 * minParallelWork, BLOCK_MAJOR_MIN_BYTES, PACK_MIN_REUSE) to keep the probe fast, so a change
 * of those constants that leaves a path unreached fails here: resize the case in
 * packages/conformance/src/cases/paths.ts.
 *
 * Paths and the quick cases that reach them:
 * - rmsnorm, rope, gqa, copy (KV-cache append), widen / narrow (f16 staging): every small case;
 * - rmsnorm on the pool: rmsnorm/paths/rows-96x4096;
 * - rope on the pool: rope/paths/prefill-384x8x128;
 * - gqa tiles of < 16 rows (4 dims in the lanes: decode) and >= 16 rows (transposed Q: prefill);
 * - gqa K/V packed (gqaPack) then tiles on the pool: gqa/paths/prefill-40-32x8x64 (and f16);
 * - gqa block-major decode on the pool, in an MHA span tile (one tile over every KV head,
 *   kvSpan > 1), its keys split across the threads: gqa/paths/decode-8x8x128-2048 (its f16
 *   variant reads 8 MiB of f16 K/V, under BLOCK_MAJOR_MIN_BYTES, in one-row tiles: f16
 *   block-major is in test/f16-direct.test.ts; GQA block-major in test/decode-split.test.ts);
 * - gqa decode on the pool with each tile's keys split across units (keySplits > 1), then
 *   gqaCombine: gqa/paths/decode-mqa-32x1x64-640 (its one tile: gqaCombine on the calling
 *   thread) and gqa/paths/decode-8x8x128-2048. A group's query heads split across tiles
 *   (headChunks > 1), which the MQA case reached before keys were split, is now left to
 *   decodes too short to split keys and to prefills of few tiles; no quick case reaches it
 *   (test/decode-split.test.ts does);
 * - gqa reading f16 K/V itself (kvHalf): gqa/paths/decode-8x8x128-2048/f16 and others;
 * - widen on the pool: no quick case since GQA reads f16 K/V itself (its staged rerun for
 *   Inf/NaN halves, and the pool, are in test/f16-direct.test.ts).
 */
import type { Backend } from '@llama-ops/core';
import { CaseMemo, quickCases, runCase } from '@llama-ops/conformance/suite';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';

interface KernelRun {
  kernel: string;
  units: number;
  pooled: boolean;
  detail?: { blockMajor?: boolean; packed?: boolean; tileRows?: number; headChunks?: number; kvSpan?: number; keySplits?: number; kvHalf?: boolean };
}

describe('the quick probe reaches every kernel path (2 threads, default thresholds)', () => {
  let be: Backend | undefined;
  afterAll(() => be?.dispose());

  it('each path is reached by the cases this test names', { timeout: 120_000 }, async () => {
    be = await createBackend({ threads: 2 });
    expect(be.capabilities.threads).toBe(2);
    const kernels = be.kernels as unknown as { trace: ((r: KernelRun) => void) | null };
    const runs: Array<KernelRun & { id: string }> = [];
    const memo = new CaseMemo();
    for (const c of quickCases()) {
      kernels.trace = (r) => runs.push({ ...r, id: c.id });
      const result = await runCase(be, c, { inputCheckLimit: 1 << 18, memo });
      kernels.trace = null;
      expect(result.pass, result.message).toBe(true);
    }
    const reached = (pred: (r: KernelRun) => boolean) => [...new Set(runs.filter(pred).map((r) => r.id))];
    const some = (pred: (r: KernelRun) => boolean) => reached(pred).length;

    for (const kernel of ['rmsnorm', 'rope', 'gqa', 'gqaPack', 'gqaCombine', 'copy', 'widen', 'narrow']) {
      expect(some((r) => r.kernel === kernel && !r.pooled), `${kernel} on the calling thread`).toBeGreaterThan(0);
    }
    expect(reached((r) => r.kernel === 'rmsnorm' && r.pooled)).toEqual(['rmsnorm/paths/rows-96x4096']);
    expect(reached((r) => r.kernel === 'rope' && r.pooled)).toEqual(['rope/paths/prefill-384x8x128']);
    const gqa = (r: KernelRun) => r.kernel === 'gqa';
    expect(some((r) => gqa(r) && (r.detail?.tileRows ?? 0) < 16), 'gqa tiles of < 16 rows (dims in the lanes)').toBeGreaterThan(0);
    expect(some((r) => gqa(r) && (r.detail?.tileRows ?? 0) >= 16 && !r.pooled), 'gqa tiles of >= 16 rows (transposed Q)').toBeGreaterThan(0);
    expect(reached((r) => gqa(r) && r.pooled && r.detail?.packed === true && (r.detail?.tileRows ?? 0) >= 16)).toEqual([
      'gqa/paths/prefill-40-32x8x64',
      'gqa/paths/prefill-40-32x8x64/f16',
    ]);
    expect(reached((r) => gqa(r) && r.pooled && (r.detail?.kvSpan ?? 1) > 1)).toEqual(['gqa/paths/decode-8x8x128-2048']);
    expect(reached((r) => gqa(r) && r.pooled && r.detail?.blockMajor === true)).toEqual(['gqa/paths/decode-8x8x128-2048']);
    expect(reached((r) => gqa(r) && r.pooled && (r.detail?.keySplits ?? 1) > 1)).toEqual(['gqa/paths/decode-8x8x128-2048', 'gqa/paths/decode-mqa-32x1x64-640']);
    expect(reached((r) => r.kernel === 'gqaCombine')).toEqual(['gqa/paths/decode-8x8x128-2048', 'gqa/paths/decode-mqa-32x1x64-640']);
    expect(reached((r) => gqa(r) && r.pooled && r.detail?.kvHalf === true)).toContain('gqa/paths/decode-8x8x128-2048/f16');
  });
});
