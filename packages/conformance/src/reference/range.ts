/**
 * SPEC.md "Range and special values", as the reference reads its inputs: subnormal inputs
 * count as zero, mask values at or below {@link MASKED_AT} count as masked (`-Inf`).
 */

/** The smallest normal float32, 2^-126: inputs of smaller magnitude are subnormal. */
export const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** Mask values `<= MASKED_AT` count as masked (`-Inf`), as `finfo(float32).min` fills do. */
export const MASKED_AT = -1e30;

/**
 * `values` with every subnormal float32 (`0 < |x| < 2^-126`) read as zero: backends may flush
 * them, so the kit checks such inputs as if they were zero. Returns `values` itself (no copy)
 * when none is subnormal.
 */
export function flushSubnormals(values: ArrayLike<number>): ArrayLike<number> {
  let i = firstSubnormal(values);
  if (i < 0) return values;
  const out = Float64Array.from(values);
  for (; i < out.length; i++) if (isSubnormal(out[i])) out[i] = 0;
  return out;
}

/** Index of the first subnormal value, or -1 (a Float32Array is scanned on its bits: ~4x faster, which the quick probe's 4M-value K/V needs). */
function firstSubnormal(values: ArrayLike<number>): number {
  if (values instanceof Float32Array) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) {
      const x = bits[i];
      if ((x & 0x7f800000) === 0 && (x & 0x007fffff) !== 0) return i; // exponent 0, mantissa not: subnormal
    }
    return -1;
  }
  for (let i = 0; i < values.length; i++) if (isSubnormal(values[i])) return i;
  return -1;
}

function isSubnormal(x: number): boolean {
  return x !== 0 && Math.abs(x) < F32_MIN_NORMAL;
}
