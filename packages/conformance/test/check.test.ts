/**
 * compare(): the special-value rules the extremes family leans on. An expected NaN (RMSNorm
 * with eps 0 on an all-zero row) must be NaN; a NaN output never passes otherwise, however
 * wide the bound.
 */
import { describe, expect, it } from 'vitest';
import { compare } from '../src/check.js';

const loose = () => 1e30;

describe('compare', () => {
  it('an expected NaN must be NaN: a finite value or an Inf there fails, NaN passes', () => {
    expect(compare([NaN, NaN], [NaN, NaN], loose, 'y', [2]).pass).toBe(true);
    const finite = compare([0, 1], [NaN, 1], loose, 'y', [2]);
    expect(finite.pass).toBe(false);
    expect(finite.failures).toBe(1);
    expect(finite.worstIndex).toBe(0);
    expect(finite.message).toContain('got 0, expected NaN');
    expect(compare([Infinity], [NaN], loose, 'y', [1]).pass).toBe(false);
  });

  it('a NaN output fails wherever the reference is finite or infinite, whatever the bound', () => {
    const c = compare([1, NaN, 3], [1, 2, 3], loose, 'gqa output', [3]);
    expect(c.pass).toBe(false);
    expect(c.failures).toBe(1);
    expect(c.maxError).toBe(Infinity);
    expect(c.message).toContain('got NaN, expected 2');
    expect(compare([NaN], [0], () => Infinity, 'y', [1]).pass).toBe(false);
    expect(compare([NaN], [Infinity], loose, 'y', [1]).pass).toBe(false);
    expect(compare([NaN], [-Infinity], loose, 'y', [1]).pass).toBe(false);
  });

  it('Inf outputs fail against a finite reference near the f32 limit (3e38 must not become Infinity)', () => {
    expect(compare([Infinity], [3e38], (i) => 1e-4 * 3e38 + i, 'gqa output', [1]).pass).toBe(false);
    expect(compare([Math.fround(3e38)], [3e38], () => 1e-4 * 3e38, 'gqa output', [1]).pass).toBe(true);
  });
});
