/**
 * Vector math shared by the kernels: exp and tanh on f32x4.
 *
 * exp4 is Cephes' expf: round x·log2(e) to n, reduce r = x - n·ln2 with a two-part ln2
 * (exact to f32), a degree-6 polynomial on |r| <= ln2/2, and 2^n built in the exponent
 * bits. Max relative error ~2 ulp against f64 exp. Arguments below -87.33 (where 2^n
 * would be subnormal) and -Infinity give exactly 0, which is what softmax wants for
 * masked scores: `exp(-Inf - m)` must add nothing to the denominator. NaN stays NaN
 * (a NaN query must poison its own row, as in the reference).
 */

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365447505531;

// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const fx = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const pow2 = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  // x < EXP_LO holds for -Inf and tiny x (those lanes become +0), not for NaN.
  return v128.andnot(f32x4.mul(y, pow2), f32x4.lt(x, f32x4.splat(EXP_LO)));
}

/** tanh(x) = sign(x)·(1 - e)/(1 + e) with e = exp(-2|x|) <= 1, so nothing overflows. */
// @ts-ignore: decorator
@inline
export function tanh4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e));
  return v128.or(t, sign);
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
