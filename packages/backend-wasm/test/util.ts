/** Test data and error measures (the float64 reference itself is @llama-ops/conformance/reference). */

/** Deterministic pseudo-random numbers in [-scale, scale) (mulberry32). */
export function random(n: number, seed = 1, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/**
 * Largest |actual - expected| / max(1, |scale|) over all elements, where `scale` is the
 * reference itself (RMSNorm), the input (RoPE) or a constant (GQA: max|v|). NaN counts as
 * the worst error.
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: ArrayLike<number> | number = expected): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const e = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(s));
    if (!(e <= worst)) worst = e;
  }
  return worst;
}
