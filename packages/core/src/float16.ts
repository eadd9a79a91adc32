/**
 * IEEE-754 half-precision conversion, shared by backends that store f16 (round to nearest
 * even, with subnormals, Inf and NaN preserved).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round one float32 value to the bits of the nearest float16. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // may carry into the exponent: correct
  return sign | half;
}

/** The float value of float16 bits. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Convert a Float32Array to float16 bits (round to nearest even). Values in f16's normal
 * range are converted on their bits with integer operations; the rest (subnormals,
 * overflow, Inf, NaN) take {@link float32ToFloat16Bits}.
 * @param into - optional destination of the same length (filled and returned).
 */
export function toFloat16Array(data: Float32Array, into?: Uint16Array): Uint16Array {
  const out = into ?? new Uint16Array(data.length);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exp = (x >>> 23) & 0xff;
    if (exp >= 113 && exp <= 141) {
      // Round the 13 low mantissa bits to nearest even; a carry into the exponent is the
      // correct rounding (exp <= 141 cannot carry past f16's largest exponent).
      const r = (x + 0xfff + ((x >>> 13) & 1)) >>> 13;
      out[i] = ((x >>> 16) & 0x8000) | (r - ((127 - 15) << 10)) & 0x7fff;
    } else {
      out[i] = float32ToFloat16Bits(data[i]);
    }
  }
  return out;
}

/** float16 bits -> float32 value, for every one of the 65536 bit patterns. */
let widenTable: Float32Array | null = null;

/**
 * Widen float16 bits to a Float32Array (one table lookup per value).
 * @param into - optional destination of the same length (filled and returned).
 */
export function fromFloat16Array(bits: Uint16Array, into?: Float32Array): Float32Array {
  if (widenTable === null) {
    widenTable = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) widenTable[b] = float16BitsToFloat32(b);
  }
  const table = widenTable;
  const out = into ?? new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}
