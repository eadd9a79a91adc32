/**
 * KV-cache cases: `createKVCache` + `append` + `gqa(q, cache.k, cache.v, { kvLength: cache.length })`,
 * step by step, as a decoder runs: prefill, chunked prefill, decode, window/softcap, and a
 * cache reused after `reset()` whose stale slots hold NaN (they must never leak).
 */
import { Rng } from './data.js';
import { defineCase, withF16Variants } from './define.js';
import type { ConformanceCase, KvCacheCaseInputs, KvCacheStep } from './types.js';

interface KvSpec {
  batch: number;
  capacity: number;
  headsQ: number;
  kvHeads: number;
  headDim: number;
  headDimV?: number;
  /** Positions appended per step; a query block of the same length attends after each. */
  chunks: number[];
  /** Before the real chunks, fill this many slots with NaN and reset() (stale garbage). */
  garbage?: number;
  options?: KvCacheCaseInputs['options'];
}

const kv = (group: string, detail: string, description: string, spec: KvSpec): ConformanceCase =>
  defineCase('kvcache', group, detail, description, () => {
    const rng = new Rng(`kvcache/${group}/${detail}`);
    const { batch, kvHeads, headDim, headsQ } = spec;
    const headDimV = spec.headDimV ?? headDim;
    const steps: KvCacheStep[] = [];
    if (spec.garbage) {
      const n = spec.garbage;
      steps.push({
        k: new Float32Array(batch * n * kvHeads * headDim).fill(NaN),
        v: new Float32Array(batch * n * kvHeads * headDimV).fill(NaN),
        n,
        q: null,
        seqQ: 0,
      });
    }
    spec.chunks.forEach((n, i) => {
      steps.push({
        reset: spec.garbage !== undefined && i === 0,
        k: rng.array(batch * n * kvHeads * headDim),
        v: rng.array(batch * n * kvHeads * headDimV),
        n,
        q: rng.array(batch * n * headsQ * headDim),
        seqQ: n,
      });
    });
    return { op: 'kvcache', batch, capacity: spec.capacity, headsQ, kvHeads, headDim, headDimV, steps, options: spec.options ?? {} };
  });

function build(): ConformanceCase[] {
  const c: ConformanceCase[] = [];
  c.push(kv('decoder', 'prefill-decode', 'prefill 8 then 3 decode steps, Hq 4 / Hkv 2, capacity 16', { batch: 1, capacity: 16, headsQ: 4, kvHeads: 2, headDim: 32, chunks: [8, 1, 1, 1] }));
  c.push(kv('decoder', 'chunked-prefill', 'batch 2, chunked prefill 5 + 5 + 3 then a decode step: each chunk attends to the cache and causally within itself', { batch: 2, capacity: 20, headsQ: 4, kvHeads: 1, headDim: 32, chunks: [5, 5, 3, 1] }));
  c.push(kv('decoder', 'gqa-7-1', 'Hq 7 / Hkv 1, d 64: prefill 6, decode 2', { batch: 1, capacity: 12, headsQ: 7, kvHeads: 1, headDim: 64, chunks: [6, 1, 1] }));
  c.push(kv('decoder', 'mqa-32-1', 'MQA Hq 32 / Hkv 1, d 64: prefill 4, decode 1', { batch: 1, capacity: 8, headsQ: 32, kvHeads: 1, headDim: 64, chunks: [4, 1] }));
  c.push(kv('decoder', 'full-capacity', 'chunks 5 + 3 fill a capacity-8 cache exactly', { batch: 1, capacity: 8, headsQ: 2, kvHeads: 2, headDim: 16, chunks: [5, 3] }));
  c.push(kv('decoder', 'headDimV', 'headDimV 16 != headDim 32', { batch: 1, capacity: 10, headsQ: 4, kvHeads: 2, headDim: 32, headDimV: 16, chunks: [4, 2, 1] }));
  c.push(kv('decoder', 'llama3-8b', 'Llama-3-8B-like (32 / 8 / 128): prefill 12, decode 2, capacity 24', { batch: 1, capacity: 24, headsQ: 32, kvHeads: 8, headDim: 128, chunks: [12, 1, 1] }));
  c.push(kv('options', 'window', 'window 4 through chunks 6, 3, 1, 1', { batch: 1, capacity: 16, headsQ: 4, kvHeads: 2, headDim: 32, chunks: [6, 3, 1, 1], options: { window: 4 } }));
  c.push(kv('options', 'softcap', 'softcap 30 through chunks 4, 1', { batch: 2, capacity: 8, headsQ: 2, kvHeads: 1, headDim: 32, chunks: [4, 1], options: { softcap: 30 } }));
  c.push(kv('options', 'scale', 'explicit scale 0.1', { batch: 1, capacity: 8, headsQ: 2, kvHeads: 1, headDim: 16, chunks: [3, 1], options: { scale: 0.1 } }));
  c.push(
    kv('garbage', 'after-reset', '12 NaN positions appended then reset(): prefill 6 and decode 2 over stale NaN slots, which must not leak', {
      batch: 2,
      capacity: 16,
      headsQ: 4,
      kvHeads: 2,
      headDim: 32,
      chunks: [6, 1, 1],
      garbage: 12,
    }),
  );

  return withF16Variants(c, ['kvcache/decoder/prefill-decode', 'kvcache/decoder/chunked-prefill', 'kvcache/garbage/after-reset']);
}

/** Every KV-cache case. */
export const kvcacheCases: readonly ConformanceCase[] = build();
