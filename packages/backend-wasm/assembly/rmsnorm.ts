/**
 * RMSNorm and fused add+RMSNorm over rows `[start, end)` of `hidden` f32 values; each
 * operand's rows are its own row stride apart (views).
 *
 * Algorithm: one streaming pass over each input row forms h = x (+ residual), stores it
 * to `sum` when asked, and accumulates h² in four f32x4 accumulators (16 lanes) whose
 * partials are promoted into two f64x2 accumulators every 256 elements. That keeps the
 * inner loop pure f32 SIMD, yet the sum is exact to ~1e-7 for any hidden size and cannot
 * overflow for |h| <= 4e18 (each f32 lane sums at most 16 squares). A second pass reads
 * the row again (now in L1: 16 KiB for hidden = 4096) and writes h·inv·(w + offset).
 * If the f64 total is still not finite (|h| > ~4e18), or so small that f32 squares lost
 * digits (|h| below ~1e-19 across the row), the row is redone in f64 scaled by its max |h|
 * (scale first, then square): rows of 1e-30 with eps = 0 give exactly 1.
 *
 * Measured (1 thread, Zen 5): [2048, 4096] 2.35-2.5 ms, 47-51% of a TypedArray copy's
 * bandwidth (a plain wasm v128 copy loop reaches 94-96% of it, so read-for-ownership is
 * not the cap); without the weight multiply 66%. Fused passes, row blocks and 8
 * accumulators measured no faster (see the package README). onnxruntime-web: 20-25 ms.
 */
import { RmsnormParams } from './params';

/** Elements per f32 block before its partial sums are flushed into f64 (16 lanes · 16). */
const BLOCK: i32 = 256;
/**
 * Rows whose mean square is below this (2^-100) are redone by the scaled f64 path: squares
 * of |h| < 2^-63 are f32 subnormals (1e-22² = 1e-44 keeps 3 bits, 1e-23² rounds to 0, and
 * with eps = 0 the row became 1.0097 or Infinity). Above it, those squares' rounding (at
 * most 2^-150 each) is below 2^-50 of the sum.
 */
const TINY_MEAN_SQUARE: f64 = 7.888609052210118e-31;

// @ts-ignore: decorator
@inline
function flush(acc: v128, lo: v128): v128 {
  return f64x2.add(lo, f64x2.add(f64x2.promote_low_f32x4(acc), f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 0, 1))));
}

export function rmsnorm(params: usize, start: i32, end: i32, thread: i32): void {
  const x = RmsnormParams.x(params);
  const residual = RmsnormParams.residual(params);
  const weight = RmsnormParams.weight(params);
  const out = RmsnormParams.out(params);
  const sum = RmsnormParams.sum(params);
  const hidden = RmsnormParams.hidden(params);
  const eps = RmsnormParams.eps(params) as f64;
  const offset = RmsnormParams.weightOffset(params);
  // Row strides in bytes: operands may be views (rows apart by more than `hidden`).
  const xStride = (RmsnormParams.xRowStride(params) as usize) << 2;
  const rStride = (RmsnormParams.residualRowStride(params) as usize) << 2;
  const oStride = (RmsnormParams.outRowStride(params) as usize) << 2;
  const sStride = (RmsnormParams.sumRowStride(params) as usize) << 2;
  const vecEnd = hidden & ~15;
  const offsetV = f32x4.splat(offset);

  for (let row = start; row < end; row++) {
    const xr = x + (row as usize) * xStride;
    const rr = residual + (row as usize) * rStride;
    const sr = sum + (row as usize) * sStride;
    let total = f64x2.splat(0);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let i = 0;
    // Pass 1: h = x (+ residual), optional store of h, sum of squares.
    while (i < vecEnd) {
      const blockEnd = min(i + BLOCK, vecEnd);
      for (; i < blockEnd; i += 16) {
        const o = (i as usize) << 2;
        let h0 = v128.load(xr + o), h1 = v128.load(xr + o, 16), h2 = v128.load(xr + o, 32), h3 = v128.load(xr + o, 48);
        if (residual) {
          h0 = f32x4.add(h0, v128.load(rr + o));
          h1 = f32x4.add(h1, v128.load(rr + o, 16));
          h2 = f32x4.add(h2, v128.load(rr + o, 32));
          h3 = f32x4.add(h3, v128.load(rr + o, 48));
          if (sum) {
            v128.store(sr + o, h0);
            v128.store(sr + o, h1, 16);
            v128.store(sr + o, h2, 32);
            v128.store(sr + o, h3, 48);
          }
        }
        a0 = f32x4.add(a0, f32x4.mul(h0, h0));
        a1 = f32x4.add(a1, f32x4.mul(h1, h1));
        a2 = f32x4.add(a2, f32x4.mul(h2, h2));
        a3 = f32x4.add(a3, f32x4.mul(h3, h3));
      }
      total = flush(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), total);
      a0 = f32x4.splat(0); a1 = f32x4.splat(0); a2 = f32x4.splat(0); a3 = f32x4.splat(0);
    }
    let ss = f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
    for (; i < hidden; i++) {
      const o = (i as usize) << 2;
      let h = load<f32>(xr + o);
      if (residual) {
        h += load<f32>(rr + o);
        if (sum) store<f32>(sr + o, h);
      }
      ss += (h as f64) * (h as f64);
    }
    // Where h was stored, read it back (one input instead of two).
    const src = sum ? sr : xr;
    const add: usize = sum || !residual ? 0 : rr;
    const or = out + (row as usize) * oStride;
    if (!isFinite(ss) || ss < (hidden as f64) * TINY_MEAN_SQUARE) {
      finishRowScaled(src, add, weight, offset, or, hidden, eps);
      continue;
    }
    const inv = (1.0 / Math.sqrt(ss / (hidden as f64) + eps)) as f32;
    const invV = f32x4.splat(inv);
    // Pass 2: y = h · inv · (w + offset).
    i = 0;
    for (; i < vecEnd; i += 16) {
      const o = (i as usize) << 2;
      let h0 = v128.load(src + o), h1 = v128.load(src + o, 16), h2 = v128.load(src + o, 32), h3 = v128.load(src + o, 48);
      if (add) {
        h0 = f32x4.add(h0, v128.load(add + o));
        h1 = f32x4.add(h1, v128.load(add + o, 16));
        h2 = f32x4.add(h2, v128.load(add + o, 32));
        h3 = f32x4.add(h3, v128.load(add + o, 48));
      }
      const wo = weight + o;
      v128.store(or + o, f32x4.mul(f32x4.mul(h0, invV), f32x4.add(v128.load(wo), offsetV)));
      v128.store(or + o, f32x4.mul(f32x4.mul(h1, invV), f32x4.add(v128.load(wo, 16), offsetV)), 16);
      v128.store(or + o, f32x4.mul(f32x4.mul(h2, invV), f32x4.add(v128.load(wo, 32), offsetV)), 32);
      v128.store(or + o, f32x4.mul(f32x4.mul(h3, invV), f32x4.add(v128.load(wo, 48), offsetV)), 48);
    }
    for (; i < hidden; i++) {
      const o = (i as usize) << 2;
      let h = load<f32>(src + o);
      if (add) h += load<f32>(add + o);
      store<f32>(or + o, h * inv * (load<f32>(weight + o) + offset));
    }
  }
}

/**
 * Slow path for rows whose sum of squares overflows even f64, or underflows f32's squares:
 * scale by max |h| first. `add` is the residual row when h = src + add must be formed
 * again, else 0.
 */
function finishRowScaled(src: usize, add: usize, weight: usize, offset: f32, out: usize, hidden: i32, eps: f64): void {
  let maxAbs: f64 = 0;
  for (let i = 0; i < hidden; i++) {
    const o = (i as usize) << 2;
    let h = load<f32>(src + o) as f64;
    if (add) h += load<f32>(add + o) as f64;
    maxAbs = max(maxAbs, Math.abs(h));
  }
  if (maxAbs == 0) {
    // An all-zero row: y = 0 · 1/sqrt(eps), which is 0, or NaN (0 · Inf) when eps = 0.
    const inv = (1.0 / Math.sqrt(eps)) as f32;
    for (let i = 0; i < hidden; i++) {
      const o = (i as usize) << 2;
      let h = load<f32>(src + o);
      if (add) h += load<f32>(add + o);
      store<f32>(out + o, h * inv * (load<f32>(weight + o) + offset));
    }
    return;
  }
  let ss: f64 = 0;
  for (let i = 0; i < hidden; i++) {
    const o = (i as usize) << 2;
    let h = load<f32>(src + o) as f64;
    if (add) h += load<f32>(add + o) as f64;
    const t = h / maxAbs;
    ss += t * t;
  }
  if (maxAbs == Infinity) {
    // rms is Inf: finite elements give 0, the Inf ones Inf/Inf = NaN (as the reference).
    for (let i = 0; i < hidden; i++) {
      const o = (i as usize) << 2;
      let h = load<f32>(src + o);
      if (add) h += load<f32>(add + o);
      store<f32>(out + o, h * 0 * (load<f32>(weight + o) + offset));
    }
    return;
  }
  // y = h / rms = (h / maxAbs) / sqrt(mean((h / maxAbs)²) + eps / maxAbs²); NaN rows stay NaN.
  const denom = Math.sqrt(ss / (hidden as f64) + eps / maxAbs / maxAbs);
  for (let i = 0; i < hidden; i++) {
    const o = (i as usize) << 2;
    let h = load<f32>(src + o) as f64;
    if (add) h += load<f32>(add + o) as f64;
    store<f32>(out + o, ((h / maxAbs / denom) * ((load<f32>(weight + o) as f64) + (offset as f64))) as f32);
  }
}
