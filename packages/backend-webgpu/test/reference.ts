import { float16BitsToFloat32, float32ToFloat16Bits } from '@llama-ops/core';
import { referenceAddRmsnorm, referenceGqa, referenceRope } from '@llama-ops/conformance/reference';

/** Seeded inputs and float64 references for this package's kernel tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}
// The float64 references are the conformance kit's (the spec in code); these adapters only
// keep the argument shapes the kernel tests use.

export function rmsnormRef(x: ArrayLike<number>, w: ArrayLike<number>, hidden: number, eps: number, weightOffset: number, residual?: ArrayLike<number>) {
  const { y, sum } = referenceAddRmsnorm(x, residual ?? null, [x.length / hidden, hidden], w, { eps, weightOffset });
  return { y, h: sum };
}

/** RoPE with positions `pos(b, s)`, default (unscaled) frequencies. */
export function ropeRef(x: ArrayLike<number>, shape: [number, number, number, number], pos: (b: number, s: number) => number, theta: number, rotaryDim: number, interleaved: boolean) {
  const [batch, seq] = shape;
  const positions = new Float64Array(batch * seq);
  for (let b = 0; b < batch; b++) for (let s = 0; s < seq; s++) positions[b * seq + s] = pos(b, s);
  return referenceRope(x, shape, { positions, theta, rotaryDim, interleaved });
}

export interface GqaRefArgs {
  q: ArrayLike<number>;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  batch: number;
  seqQ: number;
  seqKV: number;
  hq: number;
  hkv: number;
  d: number;
  dv: number;
  scale?: number;
  causal?: boolean;
  kvLength?: number[];
  queryOffset?: number[];
  window?: number;
  softcap?: number;
  mask?: { data: ArrayLike<number>; mb: number; mh: number };
  sinks?: ArrayLike<number>;
}

export function gqaRef(a: GqaRefArgs): Float64Array {
  return referenceGqa(
    a.q,
    a.k,
    a.v,
    { q: [a.batch, a.seqQ, a.hq, a.d], k: [a.batch, a.seqKV, a.hkv, a.d], v: [a.batch, a.seqKV, a.hkv, a.dv] },
    {
      scale: a.scale,
      causal: a.causal,
      kvLength: a.kvLength,
      queryOffset: a.queryOffset,
      window: a.window,
      softcap: a.softcap,
      mask: a.mask && { data: a.mask.data, shape: [a.mask.mb, a.mask.mh, a.seqQ, a.seqKV] },
      sinks: a.sinks,
    },
  );
}

/** Largest |got - want| / max(1, scaleOf(want)) and where. */
export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>, denom: (i: number) => number = (i) => Math.max(1, Math.abs(want[i]))) {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / denom(i);
    if (!(e <= worst)) {
      worst = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { worst, at, got: got[at], want: want[at] };
}

/** SPEC.md's tolerances against the float64 reference, per storage dtype. */
export const TOL = {
  f32: { rmsnorm: 1e-5, rope: 2e-6, gqa: 1e-4 },
  f16: { rmsnorm: 2e-3, rope: 2e-3, gqa: 5e-3 },
} as const;

/** `data` rounded to f16 and back (what f16 storage holds), or as is for f32. */
export function stored16(data: Float32Array, dtype: 'f32' | 'f16'): Float32Array {
  return dtype === 'f32' ? data : Float32Array.from(data, (v) => float16BitsToFloat32(float32ToFloat16Bits(v)));
}

/**
 * `rows` rows of `rowLength` values from `data`, placed at `offset` with `rowStride` in a
 * new array of `total` elements whose other elements are `fill`.
 */
export function placeRows(data: ArrayLike<number>, rowLength: number, offset: number, rowStride: number, total: number, fill: number): Float32Array {
  const out = new Float32Array(total).fill(fill);
  for (let r = 0; r < data.length / rowLength; r++) for (let i = 0; i < rowLength; i++) out[offset + r * rowStride + i] = data[r * rowLength + i];
  return out;
}

/** The rows {@link placeRows} placed, read back out of `base`. */
export function takeRows(base: ArrayLike<number>, rows: number, rowLength: number, offset: number, rowStride: number): Float32Array {
  const out = new Float32Array(rows * rowLength);
  for (let r = 0; r < rows; r++) for (let i = 0; i < rowLength; i++) out[r * rowLength + i] = base[offset + r * rowStride + i];
  return out;
}

/** Indices of `base` outside the rows of a view that no longer hold `fill`. */
export function changedGaps(base: ArrayLike<number>, rows: number, rowLength: number, offset: number, rowStride: number, fill: number): number[] {
  const inside = new Uint8Array(base.length);
  for (let r = 0; r < rows; r++) inside.fill(1, offset + r * rowStride, offset + r * rowStride + rowLength);
  const changed: number[] = [];
  for (let i = 0; i < base.length; i++) if (!inside[i] && !(base[i] === fill || (Number.isNaN(fill) && Number.isNaN(base[i])))) changed.push(i);
  return changed;
}
