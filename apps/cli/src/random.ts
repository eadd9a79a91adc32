/** Seeded random inputs, so `--seed N` reproduces a run exactly on any machine. */

/** mulberry32: a tiny, fast 32-bit PRNG with a good enough spread for test inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 array of `n` standard-normal values (Box-Muller) times `scale`, plus `offset`. */
export function normal(rand: () => number, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = offset + scale * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = offset + scale * r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Derive an independent seed for a named input, so adding an input does not shift the others. */
export function subSeed(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
