/**
 * Runs only in the `browser-no-isolation` project: a page served WITHOUT COOP/COEP, where
 * SharedArrayBuffer does not exist. The backend must fall back to one thread, say why,
 * and still compute.
 */
import { rmsnorm } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../dist/index.js';

describe('a page that is not cross-origin isolated', () => {
  it('has no SharedArrayBuffer', () => {
    expect(globalThis.crossOriginIsolated).toBe(false);
    expect(typeof SharedArrayBuffer).toBe('undefined');
  });

  it('gets a one-thread backend whose notes say why, and that computes', async () => {
    const be = await createBackend({ threads: 4 });
    try {
      expect(be.capabilities.threads).toBe(1);
      expect(be.capabilities.notes?.join(' ')).toMatch(/cross-origin isolated/);
      const y = await rmsnorm(be.tensor([3, 4], [1, 2]), be.tensor([1, 1], [2]), { eps: 0 }).read();
      expect(Array.from(y)).toEqual([Math.fround(3 / Math.sqrt(12.5)), Math.fround(4 / Math.sqrt(12.5))]);
    } finally {
      be.dispose();
    }
  });
});
