/**
 * RoPE over tokens `[start, end)` of `x [batch, seq, heads, headDim]` (token u = b·seq + s).
 *
 * Algorithm: for each token, its cos/sin row (core's float64-accurate table, attention
 * factor folded in, already in wasm memory) is applied to every head, 4 pairs per f32x4:
 * - rotate-half (`interleaved: false`): a = x[i..i+4], b = x[i+half..]: a·c - b·s, b·c + a·s;
 * - interleaved: two vectors [a0 b0 a1 b1][a2 b2 a3 b3] against cos/sin lanes duplicated
 *   by shuffles, the partner lanes by a swap shuffle and sin signed [-s, +s].
 * Each pair is read before it is written, so `out == x` (in place) is safe. Dims past
 * `rotaryDim` are copied when `out != x`. Tokens of x and out are `xRowStride` and
 * `outRowStride` floats apart (views: e.g. q and k inside one packed QKV row).
 *
 * Measured (bench/quick.mjs --cpu, 1 thread, Zen 5): [1, 512, 32, 128] 0.37 ms (either
 * pairing); onnxruntime-web 10.6 ms, onnxruntime-node 3.9 ms.
 */
import { RopeParams } from './params';

export function rope(params: usize, start: i32, end: i32, thread: i32): void {
  const x = RopeParams.x(params);
  const out = RopeParams.out(params);
  const cosT = RopeParams.cos(params);
  const sinT = RopeParams.sin(params);
  const seq = RopeParams.seq(params);
  const heads = RopeParams.heads(params);
  const headDim = RopeParams.headDim(params);
  const rotaryDim = RopeParams.rotaryDim(params);
  const interleaved = RopeParams.interleaved(params);
  const perToken = RopeParams.perToken(params);
  // Token strides in bytes: x and out may be views (tokens of a packed QKV row, a cache slot).
  const xStride = (RopeParams.xRowStride(params) as usize) << 2;
  const outStride = (RopeParams.outRowStride(params) as usize) << 2;
  const half = rotaryDim >> 1;
  const headBytes = (headDim as usize) << 2;
  const passBytes = ((headDim - rotaryDim) as usize) << 2;
  const copyPass = out != x && passBytes != 0;

  for (let u = start; u < end; u++) {
    const row = perToken ? u : u % seq;
    const c = cosT + (((row as usize) * (half as usize)) << 2);
    const s = sinT + (((row as usize) * (half as usize)) << 2);
    const xTok = x + (u as usize) * xStride;
    const oTok = out + (u as usize) * outStride;
    for (let h = 0; h < heads; h++) {
      const xh = xTok + (h as usize) * headBytes;
      const oh = oTok + (h as usize) * headBytes;
      if (interleaved) ropeInterleaved(xh, oh, c, s, half);
      else ropeHalf(xh, oh, c, s, half);
      if (copyPass) memory.copy(oh + ((rotaryDim as usize) << 2), xh + ((rotaryDim as usize) << 2), passBytes);
    }
  }
}

// @ts-ignore: decorator
@inline
function ropeHalf(xh: usize, oh: usize, c: usize, s: usize, half: i32): void {
  const hb = (half as usize) << 2;
  let i = 0;
  for (; i + 4 <= half; i += 4) {
    const o = (i as usize) << 2;
    const a = v128.load(xh + o);
    const b = v128.load(xh + hb + o);
    const cv = v128.load(c + o);
    const sv = v128.load(s + o);
    v128.store(oh + o, f32x4.sub(f32x4.mul(a, cv), f32x4.mul(b, sv)));
    v128.store(oh + hb + o, f32x4.add(f32x4.mul(b, cv), f32x4.mul(a, sv)));
  }
  for (; i < half; i++) {
    const o = (i as usize) << 2;
    const a = load<f32>(xh + o);
    const b = load<f32>(xh + hb + o);
    const cv = load<f32>(c + o);
    const sv = load<f32>(s + o);
    store<f32>(oh + o, a * cv - b * sv);
    store<f32>(oh + hb + o, b * cv + a * sv);
  }
}

// @ts-ignore: decorator
@inline
function ropeInterleaved(xh: usize, oh: usize, c: usize, s: usize, pairs: i32): void {
  const signs = f32x4(-1.0, 1.0, -1.0, 1.0);
  let i = 0;
  for (; i + 4 <= pairs; i += 4) {
    const o = (i as usize) << 2;
    const cv = v128.load(c + o);
    const sv = v128.load(s + o);
    const c0 = v128.shuffle<f32>(cv, cv, 0, 0, 1, 1);
    const c1 = v128.shuffle<f32>(cv, cv, 2, 2, 3, 3);
    const s0 = f32x4.mul(v128.shuffle<f32>(sv, sv, 0, 0, 1, 1), signs);
    const s1 = f32x4.mul(v128.shuffle<f32>(sv, sv, 2, 2, 3, 3), signs);
    const xo = o << 1;
    const v0 = v128.load(xh + xo);
    const v1 = v128.load(xh + xo, 16);
    const w0 = v128.shuffle<f32>(v0, v0, 1, 0, 3, 2);
    const w1 = v128.shuffle<f32>(v1, v1, 1, 0, 3, 2);
    v128.store(oh + xo, f32x4.add(f32x4.mul(v0, c0), f32x4.mul(w0, s0)));
    v128.store(oh + xo, f32x4.add(f32x4.mul(v1, c1), f32x4.mul(w1, s1)), 16);
  }
  for (; i < pairs; i++) {
    const o = (i as usize) << 2;
    const a = load<f32>(xh + (o << 1));
    const b = load<f32>(xh + (o << 1), 4);
    const cv = load<f32>(c + o);
    const sv = load<f32>(s + o);
    store<f32>(oh + (o << 1), a * cv - b * sv);
    store<f32>(oh + (o << 1), b * cv + a * sv, 4);
  }
}
