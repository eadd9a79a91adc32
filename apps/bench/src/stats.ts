/**
 * Statistics and throughput arithmetic. Pure functions, unit-tested with fixed inputs:
 * every number in a report comes from here.
 */

/** Summary of one timed series, in milliseconds per call. */
export interface TimingStats {
  /** Median time per call (the headline number). */
  medianMs: number;
  /** 10th and 90th percentile per call: the spread between quiet and noisy samples. */
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  /** Timed samples (each sample may batch several calls, see `callsPerSample`). */
  samples: number;
  /** Calls per sample: tiny ops are batched so one sample is well above timer resolution. */
  callsPerSample: number;
}

/**
 * The `q`-quantile (0..1) of `values` by linear interpolation between order statistics
 * (the median of an even count is the mean of the middle two).
 * @throws RangeError on an empty list.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * Summarise per-sample times. `sampleMs[i]` is the time of one sample of
 * `callsPerSample` calls; the summary is per call.
 */
export function summarize(sampleMs: readonly number[], callsPerSample = 1): TimingStats {
  const perCall = sampleMs.map((t) => t / callsPerSample);
  return {
    medianMs: median(perCall),
    p10Ms: quantile(perCall, 0.1),
    p90Ms: quantile(perCall, 0.9),
    minMs: Math.min(...perCall),
    samples: perCall.length,
    callsPerSample,
  };
}

/** Bandwidth in GB/s (10^9 bytes per second) of moving `bytes` in `ms` milliseconds. */
export function gbPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e-3) / 1e9;
}

/** Throughput in GFLOP/s of `flops` floating-point operations in `ms` milliseconds. */
export function gflopPerSecond(flops: number, ms: number): number {
  return flops / (ms * 1e-3) / 1e9;
}

/**
 * Keys visible to each query of an attention call, summed over queries: a causal block of
 * `seqQ` queries at the end of `kvLength` keys sees `kvLength - seqQ + 1 + i` keys at row `i`;
 * a non-causal one sees all `kvLength` keys on every row.
 */
export function visibleKeys(seqQ: number, kvLength: number, causal: boolean): number {
  if (!causal) return seqQ * kvLength;
  const first = kvLength - seqQ + 1;
  return seqQ * first + (seqQ * (seqQ - 1)) / 2;
}

/**
 * Floating-point operations of attention, `4 * d * Hq * sum(visible keys)`: two multiply-adds
 * per key and dim (q·k and p·v), as flash-attention papers count it.
 */
export function attentionFlops(o: { seqQ: number; kvLength: number; causal: boolean; headsQ: number; headDim: number }): number {
  return 4 * visibleKeys(o.seqQ, o.kvLength, o.causal) * o.headsQ * o.headDim;
}

/** `ours` speed relative to `peer` (> 1: ours is faster): the ratio of median times. */
export function speedup(oursMs: number, peerMs: number): number {
  return peerMs / oursMs;
}

/** Sum and sum of absolute values of `values`: a cheap, order-independent fingerprint. */
export function checksum(values: ArrayLike<number>): { sum: number; absSum: number; finite: boolean } {
  let sum = 0;
  let absSum = 0;
  let finite = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) finite = false;
    sum += v;
    absSum += Math.abs(v);
  }
  return { sum, absSum, finite: finite && Number.isFinite(sum) };
}

/** Largest absolute elementwise difference (Infinity when the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
