/** Deterministic test data: a small seeded PRNG, so every case builds the same values every run. */

/** FNV-1a hash of a string, as a 32-bit seed. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast, good enough for test data. */
export class Rng {
  #state: number;
  constructor(seed: number | string) {
    this.#state = (typeof seed === 'string' ? hashSeed(seed) : seed) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** `n` values uniform in [-scale, scale) (the same values as `n` calls of `next()`, in a tight loop). */
  array(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    let state = this.#state;
    for (let i = 0; i < n; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = scale * (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1);
    }
    this.#state = state;
    return out;
  }
  /** `n` values uniform in [lo, hi). */
  range(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }
}

/** Product of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
