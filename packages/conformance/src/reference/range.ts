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
  let i = 0;
  while (i < values.length && !isSubnormal(values[i])) i++;
  if (i === values.length) return values;
  const out = Float64Array.from(values);
  for (; i < out.length; i++) if (isSubnormal(out[i])) out[i] = 0;
  return out;
}

function isSubnormal(x: number): boolean {
  return x !== 0 && Math.abs(x) < F32_MIN_NORMAL;
}
