/**
 * When wasm memory is full: the op that cannot allocate fails with a CapacityError that names
 * it (not the allocator), frees whatever it allocated first (its output, staging blocks), and
 * leaves the backend usable: once the user disposes tensors, ops work again. Memory is capped
 * with `maxMemoryBytes` so that "full" is a few MiB, not 4 GiB.
 */
import { referenceGqa, referenceRope } from '@llama-ops/conformance/reference';
import { addRmsnorm, createKVCache, gqa, rope, type Backend, type Tensor } from '@llama-ops/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { maxRelError, random } from './util.js';

const MiB = 2 ** 20;

interface HeapStats {
  bytesInUse: number;
  bytesReserved: number;
}
const heapOf = (be: Backend): HeapStats => (be.kernels as unknown as { heap: HeapStats }).heap;

/**
 * Allocates tensors of `sizes` elements (largest first) until none fits, so that at most a
 * block smaller than the last size stays free; returns them in allocation order.
 */
function fill(be: Backend, sizes: number[]): Tensor[] {
  const held: Tensor[] = [];
  for (const size of sizes) {
    for (;;) {
      try {
        held.push(be.empty([size]));
      } catch (e) {
        expect(e).toMatchObject({ code: 'E_CAPACITY', op: 'backend.empty' });
        break;
      }
    }
  }
  return held;
}

/** Disposes the first of `held` with `size` elements: the one hole, of exactly that size. */
function hole(held: Tensor[], size: number): void {
  const i = held.findIndex((t) => t.size === size);
  held[i].dispose();
  held.splice(i, 1);
}

describe.each([1, 2])('a full wasm memory (%i thread(s))', (threads) => {
  let be: Backend;
  afterEach(() => be.dispose());

  it('rope whose table does not fit after its output did: a CapacityError naming rope, no bytes stranded, and rope works once tensors are disposed', async () => {
    be = await createBackend({ threads, maxMemoryBytes: 8 * MiB });
    const shape = [1, 256, 4, 64]; // 256 KiB: the hole below fits the output, then nothing is left for the table
    const data = random(65536, 1);
    const x = be.tensor(data, shape);
    const held = fill(be, [65536, 1024, 16]);
    hole(held, 65536); // 256 KiB
    const positions = Int32Array.from({ length: 256 }, (_, i) => 3 * i); // explicit: a table made for this call (64 KiB)
    const live = be.memory();
    const inUse = heapOf(be).bytesInUse;

    let error: unknown;
    try {
      rope(x, { positions });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_CAPACITY', op: 'rope', argument: 'memory' });
    const message = (error as Error).message;
    // What the user reads: their op, the wasm memory's maximum, the live tensors, and scope().
    expect(message).toMatch(/^rope: memory expected room for the new tensor on the wasm backend, got no room \(wasm\.alloc: memory expected at most 8\.0 MiB \(the wasm memory's maximum\)/);
    expect(message).toContain(`${live.tensors} tensors`);
    expect(message).toContain('backend.scope');
    expect(be.memory()).toEqual(live);
    expect(heapOf(be).bytesInUse).toBe(inUse);

    for (const t of held.slice(0, 3)) t.dispose();
    const y = rope(x, { positions });
    expect(maxRelError(await y.read(), referenceRope(data, shape, { positions }), data)).toBeLessThanOrEqual(2e-6);
  });

  it('gqa whose scratch cannot grow: a CapacityError naming gqa, nothing stranded, and the old scratch is never used again', async () => {
    be = await createBackend({ threads, maxMemoryBytes: 8 * MiB });
    const small = [random(4 * 8, 2), random(3 * 8, 3), random(3 * 8, 4)];
    const run = (q: Float32Array, k: Float32Array, v: Float32Array, s: number, keys: number) =>
      gqa(be.tensor(q, [1, s, 4, 8]), be.tensor(k, [1, keys, 1, 8]), be.tensor(v, [1, keys, 1, 8]));
    run(small[0], small[1], small[2], 1, 3); // a small scratch exists now
    // A prefill of 96 queries (a larger scratch), its inputs made before memory is full.
    const [s, keys] = [96, 96];
    const big = [random(s * 4 * 8, 5), random(keys * 8, 6), random(keys * 8, 7)];
    const inputs = [be.tensor(big[0], [1, s, 4, 8]), be.tensor(big[1], [1, keys, 1, 8]), be.tensor(big[2], [1, keys, 1, 8])];
    const held = fill(be, [65536, 3072, 1024, 16]);
    hole(held, 3072); // room for the 12 KiB output, not for the scratch
    const live = be.memory();
    const inUse = heapOf(be).bytesInUse;
    expect(() => gqa(inputs[0], inputs[1], inputs[2])).toThrow(expect.objectContaining({ code: 'E_CAPACITY', op: 'gqa' }));
    expect(be.memory()).toEqual(live);
    expect(heapOf(be).bytesInUse).toBeLessThanOrEqual(inUse); // the old scratch was released too

    // Tensors made now may take the old scratch's place: a later gqa must not write into them.
    const witness = be.tensor(random(16, 8), [16]);
    const before = await witness.read();
    for (const t of held.slice(0, 3)) t.dispose();
    const out = await gqa(inputs[0], inputs[1], inputs[2]).read();
    const ref = referenceGqa(big[0], big[1], big[2], { q: [1, s, 4, 8], k: [1, keys, 1, 8], v: [1, keys, 1, 8] });
    expect(maxRelError(out, ref, 1)).toBeLessThanOrEqual(1e-4);
    const small2 = await run(small[0], small[1], small[2], 1, 3).read();
    expect(maxRelError(small2, referenceGqa(small[0], small[1], small[2], { q: [1, 1, 4, 8], k: [1, 3, 1, 8], v: [1, 3, 1, 8] }), 1)).toBeLessThanOrEqual(1e-4);
    expect(await witness.read()).toEqual(before);
  });

  it('addRmsnorm whose second output does not fit frees the first, names addRmsnorm, and works once tensors are disposed', async () => {
    be = await createBackend({ threads, maxMemoryBytes: 8 * MiB });
    const base = heapOf(be).bytesInUse; // the backend's own blocks
    const shape = [64, 1024]; // 256 KiB per output
    const x = be.tensor(random(65536, 10), shape);
    const r = be.tensor(random(65536, 11), shape);
    const w = be.tensor(random(1024, 12), [1024]);
    const held = fill(be, [65536, 1024, 16]);
    hole(held, 65536); // room for y, not for sum
    const live = be.memory();
    const inUse = heapOf(be).bytesInUse;
    expect(() => addRmsnorm(x, r, w)).toThrow(expect.objectContaining({ code: 'E_CAPACITY', op: 'addRmsnorm' }));
    expect(be.memory()).toEqual(live);
    expect(heapOf(be).bytesInUse).toBe(inUse);
    for (const t of held.slice(0, 3)) t.dispose();
    const { y, sum } = addRmsnorm(x, r, w);
    expect((await sum.read())[0]).toBeCloseTo((await x.read())[0] + (await r.read())[0], 5);
    y.dispose();
    sum.dispose();
    for (const t of [x, r, w, ...held.slice(3)]) t.dispose();
    expect(be.memory()).toMatchObject({ tensors: 0, bytes: 0 });
    expect(heapOf(be).bytesInUse).toBe(base);
  });

  it('createKVCache whose v does not fit frees k, names createKVCache, and live bytes return to zero after the user disposes', async () => {
    be = await createBackend({ threads, maxMemoryBytes: 8 * MiB });
    const base = heapOf(be).bytesInUse; // the backend's own blocks
    const held = fill(be, [65536, 1024, 16]);
    hole(held, 65536); // room for k (256 KiB), not for v
    const live = be.memory();
    const inUse = heapOf(be).bytesInUse;
    const options = { batch: 1, capacity: 1024, kvHeads: 1, headDim: 64 };
    expect(() => createKVCache(be, options)).toThrow(expect.objectContaining({ code: 'E_CAPACITY', op: 'createKVCache' }));
    expect(be.memory()).toEqual(live);
    expect(heapOf(be).bytesInUse).toBe(inUse);
    for (const t of held) t.dispose();
    expect(be.memory()).toMatchObject({ tensors: 0, bytes: 0 });
    expect(heapOf(be).bytesInUse).toBe(base);
    const cache = createKVCache(be, options);
    cache.append(be.tensor(random(64, 13), [1, 1, 1, 64]), be.tensor(random(64, 14), [1, 1, 1, 64]));
    expect(cache.length).toBe(1);
  });

  it('an f16 op whose staging blocks do not fit frees the ones it made', async () => {
    be = await createBackend({ threads, maxMemoryBytes: 8 * MiB });
    const shape = [1, 128, 4, 64];
    const data = random(32768, 9);
    const x = be.tensor(data, shape, { dtype: 'f16' }); // 64 KiB; staged as 128 KiB of f32, plus 128 KiB for the output
    rope(x, { positions: 1 }).dispose(); // caches the table: the op below allocates only its output and staging
    const held = fill(be, [65536, 32768, 1024, 16]);
    hole(held, 65536); // 256 KiB: the f16 output (64 KiB) and x widened (128 KiB) fit, the f32 output does not
    const live = be.memory();
    const inUse = heapOf(be).bytesInUse;
    expect(() => rope(x, { positions: 1 })).toThrow(expect.objectContaining({ code: 'E_CAPACITY', op: 'rope' }));
    expect(be.memory()).toEqual(live);
    expect(heapOf(be).bytesInUse).toBe(inUse);
    for (const t of held.slice(0, 3)) t.dispose();
    const y = await rope(x, { positions: 1 }).read();
    const stored = await x.read();
    expect(maxRelError(y, referenceRope(stored, shape, { positions: 1 }), stored)).toBeLessThanOrEqual(2e-3);
  });
});
