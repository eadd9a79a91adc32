/**
 * A small float64 brute-force reference of SPEC.md for this package's own tests (the
 * conformance kit's reference is the authority; this one keeps kernel-level tests
 * independent of it). Plain loops, no cleverness.
 */
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

export function rmsnormRef(x: ArrayLike<number>, w: ArrayLike<number>, hidden: number, eps: number, weightOffset: number, residual?: ArrayLike<number>) {
  const rows = x.length / hidden;
  const y = new Float64Array(x.length);
  const h = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = 0; i < hidden; i++) {
      const v = x[r * hidden + i] + (residual ? residual[r * hidden + i] : 0);
      h[r * hidden + i] = v;
      m = Math.max(m, Math.abs(v));
    }
    let ss = 0;
    for (let i = 0; i < hidden; i++) ss += (h[r * hidden + i] / (m || 1)) ** 2;
    const rms = Math.sqrt((ss / hidden) * (m || 1) ** 2 + eps);
    for (let i = 0; i < hidden; i++) y[r * hidden + i] = (h[r * hidden + i] / rms) * (w[i] + weightOffset);
  }
  return { y, h };
}

/** RoPE with positions `pos[b*seq+s]`, default frequencies `theta^(-2i/rotaryDim)`. */
export function ropeRef(x: ArrayLike<number>, shape: [number, number, number, number], pos: (b: number, s: number) => number, theta: number, rotaryDim: number, interleaved: boolean) {
  const [batch, seq, heads, d] = shape;
  const out = Float64Array.from(x);
  const half = rotaryDim / 2;
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < seq; s++)
      for (let h = 0; h < heads; h++) {
        const base = ((b * seq + s) * heads + h) * d;
        for (let i = 0; i < half; i++) {
          const t = pos(b, s) * theta ** ((-2 * i) / rotaryDim);
          const [ia, ib] = interleaved ? [2 * i, 2 * i + 1] : [i, i + half];
          const a = x[base + ia];
          const c = x[base + ib];
          out[base + ia] = a * Math.cos(t) - c * Math.sin(t);
          out[base + ib] = c * Math.cos(t) + a * Math.sin(t);
        }
      }
  return out;
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
  const { batch, seqQ, seqKV, hq, hkv, d, dv } = a;
  const scale = a.scale ?? 1 / Math.sqrt(d);
  const causal = a.causal ?? true;
  const out = new Float64Array(batch * seqQ * hq * dv);
  const g = hq / hkv;
  for (let b = 0; b < batch; b++) {
    const kvLen = a.kvLength?.[b] ?? seqKV;
    const qo = a.queryOffset?.[b] ?? kvLen - seqQ;
    for (let i = 0; i < seqQ; i++) {
      const p = qo + i;
      for (let h = 0; h < hq; h++) {
        const kh = Math.floor(h / g);
        const scores: number[] = [];
        const idx: number[] = [];
        for (let j = 0; j < kvLen; j++) {
          if (causal && j > p) continue;
          if (a.window && !(j > p - a.window)) continue;
          let s = 0;
          for (let c = 0; c < d; c++) s += a.q[((b * seqQ + i) * hq + h) * d + c] * a.k[((b * seqKV + j) * hkv + kh) * d + c];
          s *= scale;
          if (a.softcap) s = a.softcap * Math.tanh(s / a.softcap);
          if (a.mask) {
            const mb = a.mask.mb === 1 ? 0 : b;
            const mh = a.mask.mh === 1 ? 0 : h;
            s += a.mask.data[((mb * a.mask.mh + mh) * seqQ + i) * seqKV + j];
          }
          if (s === -Infinity) continue;
          scores.push(s);
          idx.push(j);
        }
        const sink = a.sinks ? a.sinks[h] : -Infinity;
        if (scores.length === 0) continue; // zeros
        const m = Math.max(sink, ...scores);
        let l = a.sinks ? Math.exp(sink - m) : 0;
        const ps = scores.map((s) => Math.exp(s - m));
        for (const pv of ps) l += pv;
        const o = ((b * seqQ + i) * hq + h) * dv;
        for (let t = 0; t < idx.length; t++)
          for (let c = 0; c < dv; c++) out[o + c] += (ps[t] / l) * a.v[((b * seqKV + idx[t]) * hkv + kh) * dv + c];
      }
    }
  }
  return out;
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
