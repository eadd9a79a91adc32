import { gqa } from '@llama-ops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';
import { random } from './util.js';

const inBrowser = typeof window !== 'undefined';

describe('threads', () => {
  const backends: { dispose(): void }[] = [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it.runIf(inBrowser)('the test page is cross-origin isolated (COOP/COEP), so SharedArrayBuffer exists', () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
  });

  it('createBackend({ threads: 2 }) starts a pool of 2 threads with SIMD', async () => {
    const be = await createBackend({ threads: 2 });
    backends.push(be);
    expect(be.name).toBe('wasm');
    expect(be.capabilities.threads).toBe(2);
    expect(be.capabilities.simd).toBe(true);
    expect(be.capabilities.dtypes).toEqual(['f32', 'f16']);
    expect(be.capabilities.notes).toEqual([]);
  });

  it('a threaded GQA prefill (large enough to use the pool) equals the single-thread result bit for bit', async () => {
    const one = await createBackend({ threads: 1 });
    const two = await createBackend({ threads: 2 });
    backends.push(one, two);
    const shapeQ = [1, 96, 8, 64];
    const shapeKV = [1, 96, 2, 64];
    const data = [random(96 * 8 * 64, 1), random(96 * 2 * 64, 2), random(96 * 2 * 64, 3)];
    const run = async (be: typeof one) => {
      const [q, k, v] = [be.tensor(data[0], shapeQ), be.tensor(data[1], shapeKV), be.tensor(data[2], shapeKV)];
      return gqa(q, k, v, { causal: true }).read();
    };
    const a = await run(one);
    const b = await run(two);
    expect(b).toEqual(a);
  });

  it.runIf(!inBrowser)('falls back to one thread, and says why, where the page is not cross-origin isolated', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    const saved = g.crossOriginIsolated;
    g.crossOriginIsolated = false;
    try {
      const be = await createBackend({ threads: 4 });
      backends.push(be);
      expect(be.capabilities.threads).toBe(1);
      expect(be.capabilities.notes?.join(' ')).toMatch(/cross-origin isolated/);
    } finally {
      if (saved === undefined) delete g.crossOriginIsolated;
      else g.crossOriginIsolated = saved;
    }
  });

  it('rejects bad options with a typed ValueError naming the option', async () => {
    const valueError = (argument: string) => expect.objectContaining({ code: 'E_VALUE', argument });
    await expect(createBackend({ threads: 0 })).rejects.toThrow(valueError('options.threads'));
    await expect(createBackend({ threads: 1.5 })).rejects.toThrow(valueError('options.threads'));
    await expect(createBackend({ minParallelWork: -1 })).rejects.toThrow(valueError('options.minParallelWork'));
    await expect(createBackend({ minParallelWork: Number.NaN })).rejects.toThrow(valueError('options.minParallelWork'));
    await expect(createBackend(null as never)).rejects.toThrow(valueError('options'));
  });
});
