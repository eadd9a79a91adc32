/**
 * A long decode loop as an engine runs it (issue #12): 10,000 steps of Llama-3-8B attention
 * shapes (Hq/Hkv/d = 32/8/128, KV cache of 4096 positions), each step's q, k and v as views of
 * one packed projection output, RoPE in place in those views, the cache append, and GQA.
 * To keep the loop a few seconds, attention looks at the last 32 keys (a sliding window)
 * and the cache starts over when full: every cache slot is written, each step stays small.
 *
 * - Inside `be.scope` per step, live tensors and wasm memory stay flat after step 100.
 * - With no dispose and no scope at all, the loop still runs within a 64 MiB memory (the
 *   cache takes 32 MiB; each step leaves 40 KiB of garbage): the FinalizationRegistry frees
 *   what became unreachable. `gc()` every 100 steps makes that deterministic (Node runs this
 *   file with --expose-gc, Chromium with --js-flags=--expose-gc: vitest.config.ts).
 */
import { referenceGqa } from '@llama-ops/conformance/reference';
import { createKVCache, gqa, rope, type Backend, type KVCache, type Tensor } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError, random } from './util.js';

const [HQ, HKV, D, CAPACITY, WINDOW, STEPS] = [32, 8, 128, 4096, 32, 10_000];
const ROW = (HQ + 2 * HKV) * D;
const MiB = 2 ** 20;

const heapOf = (be: Backend) => (be.kernels as unknown as { heap: { bytesReserved: number } }).heap;
const gc = (globalThis as { gc?: () => void }).gc;

/** One decode step: q/k/v views of the packed projection, RoPE in place, append, GQA over the window. */
function step(be: Backend, cache: KVCache, projection: Float32Array): { qkv: Tensor; q: Tensor; out: Tensor } {
  if (cache.length === CAPACITY) cache.reset();
  const position = cache.length;
  const qkv = be.tensor(projection, [1, 1, ROW]);
  const q = be.view(qkv, { shape: [1, 1, HQ, D] });
  const k = be.view(qkv, { shape: [1, 1, HKV, D], offset: HQ * D });
  const v = be.view(qkv, { shape: [1, 1, HKV, D], offset: (HQ + HKV) * D });
  rope(q, { positions: position, theta: 500000, out: q });
  rope(k, { positions: position, theta: 500000, inPlace: true });
  cache.append(k, v);
  const out = gqa(q, cache.k, cache.v, { kvLength: cache.length, window: WINDOW });
  return { qkv, q, out };
}

/** The last step's output against the float64 reference over the cache as it stands. */
function checkStep(cache: KVCache, q: Tensor, out: Tensor): void {
  const keys = cache.length;
  const shapes = { q: [1, 1, HQ, D], k: [1, CAPACITY, HKV, D], v: [1, CAPACITY, HKV, D] };
  const ref = referenceGqa(q.readSync!(), cache.k.readSync!(), cache.v.readSync!(), shapes, { kvLength: keys, window: WINDOW });
  expect(maxRelError(out.readSync!(), ref, 1)).toBeLessThanOrEqual(1e-4);
}

describe('a 10,000-step decode loop (32/8/128, cache 4096, q/k/v views of one packed tensor)', () => {
  it('inside be.scope per step: live tensors and wasm memory are flat after step 100', async () => {
    const be = await createBackend({ threads: 1 });
    try {
      const cache = createKVCache(be, { batch: 1, capacity: CAPACITY, kvHeads: HKV, headDim: D });
      const projection = random(ROW, 1);
      const logits = new Float32Array(HQ * D);
      let at100 = { tensors: 0, bytes: 0, reserved: 0 };
      for (let i = 0; i < STEPS; i++) {
        be.scope(() => {
          step(be, cache, projection).out.readSync!(logits); // the engine's next product reads it
        });
        const { tensors, bytes } = be.memory();
        const reserved = heapOf(be).bytesReserved;
        if (i === 100) at100 = { tensors, bytes, reserved };
        if (i > 100 && (tensors !== at100.tensors || bytes !== at100.bytes || reserved !== at100.reserved)) {
          expect({ step: i, tensors, bytes, reserved }).toEqual({ step: i, ...at100 });
        }
      }
      expect(at100.tensors).toBe(2); // the cache's k and v
      const last = step(be, cache, projection);
      checkStep(cache, last.q, last.out);
    } finally {
      be.dispose();
    }
  });

  it.runIf(typeof gc === 'function')('with no dispose and no scope it survives within 64 MiB: the finalizer frees unreachable tensors', async () => {
    const be = await createBackend({ threads: 1, maxMemoryBytes: 64 * MiB });
    try {
      const cache = createKVCache(be, { batch: 1, capacity: CAPACITY, kvHeads: HKV, headDim: D });
      const projection = random(ROW, 2);
      let most = 0;
      for (let i = 0; i < STEPS; i++) {
        step(be, cache, projection);
        if (i % 100 === 99) {
          gc!();
          // Finalization callbacks run as tasks after the collection: let them.
          for (let wait = 0; wait < 20 && be.memory().tensors > 2; wait++) await new Promise((r) => setTimeout(r, 0));
          most = Math.max(most, heapOf(be).bytesReserved);
        }
      }
      expect(most).toBeLessThanOrEqual(64 * MiB);
      const last = step(be, cache, projection);
      checkStep(cache, last.q, last.out);
    } finally {
      be.dispose();
    }
  });
});
