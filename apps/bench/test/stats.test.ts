import { describe, expect, it } from 'vitest';
import {
  attentionFlops,
  checksum,
  gbPerSecond,
  gflopPerSecond,
  maxAbsDiff,
  median,
  quantile,
  speedup,
  summarize,
  visibleKeys,
} from '../src/stats.js';

describe('stats', () => {
  it('median of an odd count is the middle value, of an even count the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('quantile interpolates between order statistics and rejects an empty list', () => {
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1, 12);
    expect(quantile([3, 1, 2], 0)).toBe(1);
    expect(quantile([3, 1, 2], 1)).toBe(3);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('summarize reports per-call times when samples batch several calls', () => {
    const s = summarize([10, 30, 20], 10);
    expect(s.medianMs).toBe(2);
    expect(s.minMs).toBe(1);
    expect(s.samples).toBe(3);
    expect(s.callsPerSample).toBe(10);
  });

  it('GB/s is bytes over the median time: 1e9 bytes in 1000 ms is 1 GB/s', () => {
    expect(gbPerSecond(1e9, 1000)).toBe(1);
    expect(gbPerSecond(67_141_632, 2)).toBeCloseTo(33.570816, 9);
  });

  it('GFLOP/s is flops over the time', () => {
    expect(gflopPerSecond(2e9, 500)).toBe(4);
  });

  it('visible keys: causal square prefill is the triangle, decode at the end of the cache sees it all', () => {
    expect(visibleKeys(512, 512, true)).toBe((512 * 513) / 2);
    expect(visibleKeys(1, 2048, true)).toBe(2048);
    expect(visibleKeys(4, 10, true)).toBe(7 + 8 + 9 + 10);
    expect(visibleKeys(3, 10, false)).toBe(30);
  });

  it('attention FLOPs are 4 * visible keys * Hq * d', () => {
    expect(attentionFlops({ seqQ: 1, kvLength: 2048, causal: true, headsQ: 32, headDim: 64 })).toBe(4 * 2048 * 32 * 64);
    expect(attentionFlops({ seqQ: 512, kvLength: 512, causal: true, headsQ: 32, headDim: 128 })).toBe(4 * ((512 * 513) / 2) * 32 * 128);
  });

  it('speedup is the peer time over ours', () => {
    expect(speedup(2, 6)).toBe(3);
    expect(speedup(4, 2)).toBe(0.5);
  });

  it('checksum flags non-finite outputs', () => {
    expect(checksum(new Float32Array([1, -2, 3]))).toEqual({ sum: 2, absSum: 6, finite: true });
    expect(checksum(new Float32Array([1, NaN])).finite).toBe(false);
    expect(checksum([Infinity]).finite).toBe(false);
  });

  it('maxAbsDiff is the largest elementwise difference; NaN or a length mismatch is Infinity', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1], [1, 2])).toBe(Infinity);
    expect(maxAbsDiff([NaN, 0], [0, 0])).toBe(Infinity);
  });
});
