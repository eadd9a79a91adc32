import { describe, expect, it } from 'vitest';
import { createKVCache } from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

describe('createKVCache', () => {
  it('appends each batch row at the current length, on the backend', async () => {
    const { backend: be, calls } = createFakeBackend();
    const cache = createKVCache(be, { batch: 2, capacity: 3, kvHeads: 1, headDim: 2 });
    expect(cache.k.shape).toEqual([2, 3, 1, 2]);
    cache.append(be.tensor([1, 2, 3, 4], [2, 1, 1, 2]), be.tensor([5, 6, 7, 8], [2, 1, 1, 2]));
    cache.append(be.tensor([9, 10, 11, 12, 13, 14, 15, 16], [2, 2, 1, 2]), be.tensor(new Float32Array(8).fill(-1), [2, 2, 1, 2]));
    expect(cache.length).toBe(3);
    expect(Array.from(await cache.k.read())).toEqual([1, 2, 9, 10, 11, 12, 3, 4, 13, 14, 15, 16]);
    expect(Array.from(await cache.v.read())).toEqual([5, 6, -1, -1, -1, -1, 7, 8, -1, -1, -1, -1]);
    expect(calls.every((c) => c === 'copy')).toBe(true);
    cache.reset();
    expect(cache.length).toBe(0);
  });
  it('supports a value head dim other than the key head dim', () => {
    const { backend: be } = createFakeBackend();
    const cache = createKVCache(be, { batch: 1, capacity: 2, kvHeads: 2, headDim: 4, headDimV: 3 });
    expect(cache.v.shape).toEqual([1, 2, 2, 3]);
  });
});
