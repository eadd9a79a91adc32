/**
 * Memory as engines need it: scopes dispose temporaries, memory() counts live tensors, a
 * failed op frees what it allocated, a lack of memory names the op and the live tensors,
 * and unreachable tensors are freed by the finalizer.
 */
import { describe, expect, it } from 'vitest';
import { CapacityError, addRmsnorm, createKVCache, defineBackend, gqa, rmsnorm, rope, type Tensor } from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

describe('backend.scope', () => {
  it('disposes every tensor created inside except what fn returns', () => {
    const { backend: be, live } = createFakeBackend();
    expect(live).toBe(0);
    const w = be.tensor([1, 1], [2]);
    const kept = be.scope(() => {
      const x = be.tensor([1, 2, 3, 4], [2, 2]);
      const y = rmsnorm(x, w);
      const z = rmsnorm(y, w);
      return z;
    });
    expect(kept.disposed).toBe(false);
    expect(w.disposed).toBe(false);
    expect(be.memory().tensors).toBe(2);
  });

  it('keeps tensors returned in arrays and nested plain objects', () => {
    const { backend: be } = createFakeBackend();
    const w = be.tensor([1, 1], [2]);
    let dropped: Tensor | undefined;
    const out = be.scope(() => {
      const x = be.tensor([1, 2], [1, 2]);
      const r = be.tensor([1, 2], [1, 2]);
      dropped = be.tensor([0, 0], [1, 2]);
      const { y, sum } = addRmsnorm(x, r, w);
      return { pair: [y], nested: { sum }, n: 3 };
    });
    expect(out.pair[0].disposed).toBe(false);
    expect(out.nested.sum.disposed).toBe(false);
    expect(dropped?.disposed).toBe(true);
    expect(be.memory().tensors).toBe(3);
  });

  it('keeps the base of a returned view', () => {
    const { backend: be } = createFakeBackend();
    const v = be.scope(() => be.view(be.tensor([1, 2, 3, 4], [4]), { shape: [2], offset: 2 }));
    expect(v.disposed).toBe(false);
    expect(v.base?.disposed).toBe(false);
  });

  it('nests: what an inner scope returns belongs to the outer one', () => {
    const { backend: be } = createFakeBackend();
    let inner: Tensor | undefined;
    be.scope(() => {
      inner = be.scope(() => be.tensor([1], [1]));
      expect(inner.disposed).toBe(false);
      return null;
    });
    expect(inner?.disposed).toBe(true);
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
  });

  it('ends an async scope when its promise settles', async () => {
    const { backend: be } = createFakeBackend();
    let temp: Tensor | undefined;
    const kept = await be.scope(async () => {
      temp = be.tensor([1, 2], [2]);
      await Promise.resolve();
      const t = be.tensor([3, 4], [2]);
      expect(temp.disposed).toBe(false);
      return t;
    });
    expect(temp?.disposed).toBe(true);
    expect(await kept.read()).toEqual(new Float32Array([3, 4]));
  });

  it('disposes everything when fn throws (sync and async)', async () => {
    const { backend: be } = createFakeBackend();
    expect(() =>
      be.scope(() => {
        be.tensor([1], [1]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    await expect(
      be.scope(async () => {
        be.tensor([1], [1]);
        throw new Error('later');
      }),
    ).rejects.toThrow('later');
    expect(be.memory().tensors).toBe(0);
  });

  it('leaves tensors created before the scope alone, and tolerates user disposes inside', () => {
    const { backend: be } = createFakeBackend();
    const before = be.tensor([1], [1]);
    be.scope(() => {
      const t = be.tensor([2], [1]);
      t.dispose();
    });
    expect(before.disposed).toBe(false);
    expect(be.memory().tensors).toBe(1);
  });

  it('a decode loop in a scope per step keeps memory flat', () => {
    const fake = createFakeBackend();
    const be = fake.backend;
    const w = be.tensor(new Float32Array(8).fill(1), [8]);
    const counts: number[] = [];
    for (let step = 0; step < 200; step++) {
      be.scope(() => {
        const x = be.tensor(new Float32Array(8), [1, 8]);
        const q = rope(be.tensor(new Float32Array(8), [1, 1, 2, 4]), { positions: step });
        gqa(q, q, q, { causal: false });
        rmsnorm(x, w);
      });
      counts.push(fake.live);
    }
    expect(new Set(counts).size).toBe(1);
    expect(be.memory().tensors).toBe(1);
  });
});

describe('backend.memory', () => {
  it('counts owned and wrapped tensors and their bytes, not views', () => {
    const { backend: be } = createFakeBackend('fake', ['f32', 'f16']);
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
    const a = be.tensor(new Float32Array(10), [10]);
    const b = be.empty([4, 2], { dtype: 'f16' });
    be.view(a, { shape: [5], offset: 5 });
    expect(be.memory()).toEqual({ tensors: 2, bytes: 40 + 16 });
    a.dispose();
    a.dispose();
    expect(be.memory()).toEqual({ tensors: 1, bytes: 16 });
    b.dispose();
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
  });
});

describe('failures strand no memory', () => {
  it('an op whose kernel fails frees the output it allocated, and reports the op', () => {
    const fake = createFakeBackend('fake', ['f32'], { failKernel: 'rope' });
    const be = fake.backend;
    const x = be.tensor(new Float32Array(8), [1, 1, 2, 4]);
    const liveBefore = fake.live;
    let err: unknown;
    try {
      rope(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapacityError);
    expect((err as CapacityError).op).toBe('rope');
    expect((err as CapacityError).message).toContain('1 tensors');
    expect((err as CapacityError).message).toContain('scope');
    expect(fake.live).toBe(liveBefore);
    x.dispose();
    expect(fake.live).toBe(0);
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
  });

  it('an allocation that fails names the op and the live tensors; after disposes the backend works again', () => {
    const fake = createFakeBackend('fake', ['f32'], { maxLive: 3 });
    const be = fake.backend;
    const w = be.tensor([1, 1], [2]);
    const x = be.tensor([1, 2], [1, 2]);
    const held = be.tensor([0, 0], [1, 2]);
    let err: unknown;
    try {
      rmsnorm(x, w);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapacityError);
    expect((err as CapacityError).op).toBe('rmsnorm');
    expect((err as CapacityError).message).toMatch(/3 tensors \(24 B\) are live/);
    expect(fake.live).toBe(3);
    held.dispose();
    const y = rmsnorm(x, w);
    expect(y.disposed).toBe(false);
  });

  it('createKVCache whose v does not fit frees the k it allocated, names createKVCache, and works once tensors are disposed', () => {
    const fake = createFakeBackend('fake', ['f32'], { maxLive: 3 });
    const be = fake.backend;
    const held = [be.tensor([1], [1]), be.tensor([2], [1])];
    const live = be.memory();
    let err: unknown;
    try {
      createKVCache(be, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapacityError);
    expect((err as CapacityError).op).toBe('createKVCache');
    expect(be.memory()).toEqual(live);
    expect(fake.live).toBe(2);
    held[0].dispose();
    held[1].dispose();
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
    const cache = createKVCache(be, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2 });
    expect(be.memory().tensors).toBe(2);
    cache.dispose();
    expect(fake.live).toBe(0);
  });

  it('createKVCache on a disposed backend or with a dtype the backend lacks is a typed error, before anything is allocated', () => {
    const fake = createFakeBackend();
    expect(() => createKVCache(fake.backend, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2, dtype: 'f16' })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED', op: 'createKVCache' }));
    expect(fake.live).toBe(0);
    fake.backend.dispose();
    expect(() => createKVCache(fake.backend, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2 })).toThrow(expect.objectContaining({ code: 'E_DISPOSED', message: expect.stringContaining('the fake backend was disposed') }));
  });

  it("a backend's CapacityError from another copy of core (another class, same code) still becomes the user's op's CapacityError", () => {
    const fake = createFakeBackend();
    const foreign = Object.assign(new Error('wasm.alloc: memory expected at most 8 MiB'), { name: 'CapacityError', code: 'E_CAPACITY', op: 'wasm.alloc' });
    const be = defineBackend({
      ...fake.backend.kernels,
      rope: () => {
        throw foreign;
      },
    });
    const x = be.tensor(new Float32Array(8), [1, 1, 2, 4]);
    let err: unknown;
    try {
      rope(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapacityError);
    expect(err).toMatchObject({ op: 'rope', argument: 'memory' });
    expect((err as Error).message).toContain('wasm.alloc: memory expected at most 8 MiB');
    expect(be.memory()).toMatchObject({ tensors: 1 });
  });

  it('be.empty past the backend\'s means is a CapacityError, also for a RangeError underneath', () => {
    const { backend: be } = createFakeBackend();
    expect(() => be.empty([2 ** 26, 2 ** 27])).toThrow(CapacityError);
  });
});

describe('finalizer', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  it.runIf(gc !== undefined)('frees tensors that became unreachable without dispose', async () => {
    const fake = createFakeBackend();
    const be = fake.backend;
    for (let i = 0; i < 100; i++) be.tensor(new Float32Array(16), [16]);
    expect(fake.live).toBe(100);
    for (let i = 0; i < 20 && fake.live > 0; i++) {
      gc?.();
      await new Promise((r) => (globalThis as unknown as { setTimeout: (f: unknown, ms: number) => void }).setTimeout(r, 10));
    }
    expect(fake.live).toBe(0);
    expect(be.memory()).toEqual({ tensors: 0, bytes: 0 });
  });
});
