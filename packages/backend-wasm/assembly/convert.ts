/**
 * f16 storage: widening f16 tensors to f32 (before a kernel) and narrowing f32 results
 * to f16 (after it), 8 values per step. Work units are blocks of BLOCK elements of one row:
 * `rows` rows of `count` elements, a stride apart on each side (views of f16 tensors are
 * widened into dense f32 rows and narrowed back into their rows).
 *
 * Widen: the half's exponent and mantissa shifted into f32 position and multiplied by
 * 2^112 (re-biasing 15 -> 127, exact, subnormal halves included); Inf/NaN keep an
 * all-ones exponent. Narrow: F. Giesen's round-to-nearest-even conversion, branch-free
 * over lanes: |x| >= 65536 (or Inf/NaN) -> Inf/qNaN; |x| < 2^-14 -> add 0.5 so the FPU
 * rounds the subnormal mantissa; otherwise re-bias the exponent and round with
 * 0xfff + (mantissa odd). Values in [65520, 65536) round up into Inf as they should.
 *
 * Measured: far below the kernels' cost (one streaming pass each way).
 */
import { ConvertParams } from './params';

/** Elements per work unit. */
const BLOCK: i32 = 4096;

// @ts-ignore: decorator
@inline
function widen4(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const em = v128.and(h, i32x4.splat(0x7fff));
  const shifted = i32x4.shl(em, 13);
  const finite = f32x4.mul(shifted, i32x4.splat(0x77800000)); // · 2^112
  const infNan = v128.or(shifted, i32x4.splat(0x7f800000));
  const special = i32x4.ge_s(em, i32x4.splat(0x7c00));
  return v128.or(v128.bitselect(infNan, finite, special), sign);
}

// @ts-ignore: decorator
@inline
function narrow4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const a = v128.xor(x, sign);
  const infNan = v128.bitselect(i32x4.splat(0x7e00), i32x4.splat(0x7c00), i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  const sub = i32x4.sub(f32x4.add(a, i32x4.splat(0x3f000000)), i32x4.splat(0x3f000000));
  const odd = v128.and(i32x4.shr_u(a, 13), i32x4.splat(1));
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(a, i32x4.splat(0xc8000fff)), odd), 13);
  let r = v128.bitselect(sub, normal, i32x4.lt_s(a, i32x4.splat(113 << 23)));
  r = v128.bitselect(infNan, r, i32x4.ge_s(a, i32x4.splat((127 + 16) << 23)));
  return v128.or(r, i32x4.shr_u(sign, 16));
}

export function widen(params: usize, start: i32, end: i32, thread: i32): void {
  const count = ConvertParams.count(params);
  const srcStride = (ConvertParams.srcRowStride(params) as usize) << 1;
  const dstStride = (ConvertParams.dstRowStride(params) as usize) << 2;
  const perRow = (count + BLOCK - 1) / BLOCK;
  for (let u = start; u < end; u++) {
    const row = u / perRow;
    const i0 = (u - row * perRow) * BLOCK;
    const src = ConvertParams.src(params) + (row as usize) * srcStride;
    const dst = ConvertParams.dst(params) + (row as usize) * dstStride;
    const i1 = min(i0 + BLOCK, count);
    let i = i0;
    for (; i + 8 <= i1; i += 8) {
      const h = v128.load(src + ((i as usize) << 1));
      v128.store(dst + ((i as usize) << 2), widen4(i32x4.extend_low_i16x8_u(h)));
      v128.store(dst + ((i as usize) << 2), widen4(i32x4.extend_high_i16x8_u(h)), 16);
    }
    for (; i < i1; i++) {
      const h = i32x4.splat(load<u16>(src + ((i as usize) << 1)));
      store<f32>(dst + ((i as usize) << 2), f32x4.extract_lane(widen4(h), 0));
    }
  }
}

export function narrow(params: usize, start: i32, end: i32, thread: i32): void {
  const count = ConvertParams.count(params);
  const srcStride = (ConvertParams.srcRowStride(params) as usize) << 2;
  const dstStride = (ConvertParams.dstRowStride(params) as usize) << 1;
  const perRow = (count + BLOCK - 1) / BLOCK;
  for (let u = start; u < end; u++) {
    const row = u / perRow;
    const i0 = (u - row * perRow) * BLOCK;
    const src = ConvertParams.src(params) + (row as usize) * srcStride;
    const dst = ConvertParams.dst(params) + (row as usize) * dstStride;
    const i1 = min(i0 + BLOCK, count);
    let i = i0;
    for (; i + 8 <= i1; i += 8) {
      const lo = narrow4(v128.load(src + ((i as usize) << 2)));
      const hi = narrow4(v128.load(src + ((i as usize) << 2), 16));
      v128.store(dst + ((i as usize) << 1), i16x8.narrow_i32x4_u(lo, hi));
    }
    for (; i < i1; i++) {
      const h = narrow4(f32x4.splat(load<f32>(src + ((i as usize) << 2))));
      store<u16>(dst + ((i as usize) << 1), i32x4.extract_lane(h, 0) as u16);
    }
  }
}
