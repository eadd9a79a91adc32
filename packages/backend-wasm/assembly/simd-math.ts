/**
 * Vector math shared by the kernels: 2^x, exp and tanh on f32x4.
 *
 * exp2n4 is built for softmax, whose exponents are never positive: x + 1.5·2^23 rounds x to
 * an integer n held in the low mantissa bits (no round/convert instructions), r = x - n is
 * exact, 2^r on |r| <= 1/2 is a degree-5 near-minimax polynomial (relative error 9e-8
 * before rounding, ~2 ulp after), and 2^n is n shifted into the exponent field. Clamping x
 * at -127 makes that field 0 for every x <= -126.5, so -Infinity (a masked score) gives
 * exactly +0 with no compare or select; NaN stays NaN (a NaN score must poison its row).
 * Measured on GQA prefill (Zen 5): ~2.5x cheaper than the Cephes expf it replaced (range
 * clamps, round, two-step ln2 reduction, degree-7 polynomial, saturating convert).
 */

const LOG2E: f32 = 1.44269504088896341;
const ROUND: f32 = 12582912.0; // 1.5 · 2^23

/**
 * 2^(x - shift) for x <= 0, -Infinity (exactly +0) and NaN (NaN); positive x is out of its
 * domain. `shift` (a compile-time constant, >= 0) costs nothing: it lowers the exponent
 * bias, and x is clamped at -(127 - shift) so the biased exponent never goes below 0.
 */
// @ts-ignore: decorator
@inline
function exp2Shifted4(x: v128, shift: i32): v128 {
  const xc = f32x4.pmax(x, f32x4.splat(<f32>(shift - 127))); // pmax keeps a NaN x (NaN < c is false)
  const big = f32x4.add(xc, f32x4.splat(ROUND)); // low mantissa bits = round(x)
  const r = f32x4.sub(xc, f32x4.sub(big, f32x4.splat(ROUND)));
  let y = f32x4.splat(0.0013264727213741744);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(0.009671512812536438));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(0.05550733744824979));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(0.24022242082676867));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(0.6931469775973299));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.0));
  // (0x4B400000 + n) << 23 leaves n << 23; + (127 - shift) << 23 is the biased exponent of 2^(n - shift).
  return f32x4.mul(y, i32x4.add(i32x4.shl(big, 23), i32x4.splat((127 - shift) << 23)));
}

/** 2^x for x <= 0, -Infinity (exactly +0) and NaN (NaN); positive x is out of its domain. */
// @ts-ignore: decorator
@inline
export function exp2n4(x: v128): v128 {
  return exp2Shifted4(x, 0);
}

/**
 * Softmax weights are kept 2^-SOFTMAX_SHIFT times smaller than 2^x (exp2s4): the
 * accumulated Σ p·v of up to 2^31 keys then stays below |v|max, so values up to f32's max
 * do not overflow before the division by Σ p, which is scaled alike. Weights below
 * 2^-95 of the row's largest (negligible against f32's 2^-24) become 0, not subnormals.
 */
export const SOFTMAX_SHIFT: i32 = 32;

/** 2^(x - SOFTMAX_SHIFT) for x <= 0 (-Infinity gives +0, NaN NaN): a softmax weight. */
// @ts-ignore: decorator
@inline
export function exp2s4(x: v128): v128 {
  return exp2Shifted4(x, SOFTMAX_SHIFT);
}

/** e^x for x <= 0 (and -Infinity, NaN), as exp2n4(x · log2 e). */
// @ts-ignore: decorator
@inline
export function expn4(x: v128): v128 {
  return exp2n4(f32x4.mul(x, f32x4.splat(LOG2E)));
}

/**
 * tanh(x), to ~2 ulp for every x. For |x| >= 0.625: sign(x)·(1 - e)/(1 + e) with
 * e = exp(-2|x|) <= 0.29, so nothing overflows and 1 - e loses no digits. Below, where
 * 1 - e would cancel (at |x| = 1e-8, e rounds to 1 and the quotient to 0), Cephes tanhf's
 * odd polynomial x + x³·P(x²). Both are computed and the lanes chosen by |x|: tanh serves
 * softcaps only, where a softcap of 1e8 puts every argument in the polynomial's range.
 */
// @ts-ignore: decorator
@inline
export function tanh4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const ax = f32x4.abs(x);
  const e = expn4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const large = v128.or(f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e)), sign);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
}

/**
 * a·b + c as a multiply and an add. A relaxed-SIMD build (`f32x4.relaxed_madd`, FMA)
 * was measured only ~5% faster on GQA (Zen 5, V8 11.3 with --experimental-wasm-relaxed-simd):
 * mul and add issue on separate pipes, so FMA adds no throughput; not worth a third build.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}
