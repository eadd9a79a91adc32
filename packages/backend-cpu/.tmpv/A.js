// src/index.ts
import { defineBackend } from "@llama-ops/core";

// src/copy.ts
function copy(p) {
  p.dst.set(p.src.subarray(p.srcOffset, p.srcOffset + p.count), p.dstOffset);
}

// src/scratch.ts
function scratchOf(make) {
  const buffers = /* @__PURE__ */ new Map();
  return (name, size) => {
    let a = buffers.get(name);
    if (a === void 0 || a.length < size) {
      a = make(Math.max(size, 16));
      buffers.set(name, a);
    }
    return a;
  };
}
var scratchF64 = scratchOf((n) => new Float64Array(n));
var scratchF32 = scratchOf((n) => new Float32Array(n));
var scratchI32 = scratchOf((n) => new Int32Array(n));

// src/gqa.ts
var BLOCK_KEYS = 128;
var TILE_ROWS = 32;
function gqa(p) {
  const { q, k, v, out, mask, maskBatch, maskHeads, sinks, batch, seqQ, seqKV, headsQ, headsKV } = p;
  const { scale, causal, window, softcap, kvLength, queryOffset } = p;
  const d = p.headDim;
  const dv = p.headDimV;
  const group = headsQ / headsKV;
  const tileQ = Math.max(1, Math.min(seqQ, Math.floor(TILE_ROWS / group)));
  const rowsMax = tileQ * group;
  const Q = scratchF64("gqa.q", rowsMax * d);
  const acc = scratchF64("gqa.acc", rowsMax * dv);
  const M = scratchF64("gqa.m", rowsMax);
  const L = scratchF64("gqa.l", rowsMax);
  const S = scratchF64("gqa.s", 2 * BLOCK_KEYS);
  const lo = scratchI32("gqa.lo", tileQ);
  const hi = scratchI32("gqa.hi", tileQ);
  const qRow = headsQ * d;
  const kRow = headsKV * d;
  const vRow = headsKV * dv;
  const oRow = headsQ * dv;
  const capInv = softcap > 0 ? 1 / softcap : 0;
  const maskHeadStride = maskHeads === 1 ? 0 : seqQ * seqKV;
  for (let b = 0; b < batch; b++) {
    const len = kvLength[b];
    const off = queryOffset[b];
    const kBase = b * seqKV * kRow;
    const vBase = b * seqKV * vRow;
    const maskB = maskBatch === 1 ? 0 : b;
    for (let g = 0; g < headsKV; g++) {
      const kHead = kBase + g * d;
      const vHead = vBase + g * dv;
      for (let i0 = 0; i0 < seqQ; i0 += tileQ) {
        const nq = Math.min(tileQ, seqQ - i0);
        const rows = nq * group;
        let tileLo = len;
        let tileHi = 0;
        for (let qi = 0; qi < nq; qi++) {
          const pos = off + i0 + qi;
          let h = causal ? Math.min(len, pos + 1) : len;
          let l = window > 0 ? Math.max(0, pos - window + 1) : 0;
          if (h <= l) {
            h = 0;
            l = 0;
          } else {
            if (l < tileLo) tileLo = l;
            if (h > tileHi) tileHi = h;
          }
          lo[qi] = l;
          hi[qi] = h;
        }
        for (let qi = 0, r = 0; qi < nq; qi++) {
          let src = (b * seqQ + i0 + qi) * qRow + g * group * d;
          for (let hh = 0; hh < group; hh++, r++, src += d) {
            const dst = r * d;
            for (let t = 0; t < d; t++) Q[dst + t] = q[src + t] * scale;
            const sink = sinks === null ? -Infinity : sinks[g * group + hh];
            M[r] = sink;
            L[r] = sinks === null ? 0 : 1;
          }
        }
        acc.fill(0, 0, rows * dv);
        for (let j0 = tileLo; j0 < tileHi; j0 += BLOCK_KEYS) {
          const j1 = Math.min(j0 + BLOCK_KEYS, tileHi);
          for (let qi = 0; qi < nq; qi++) {
            const rlo = lo[qi] > j0 ? lo[qi] : j0;
            const rhi = hi[qi] < j1 ? hi[qi] : j1;
            if (rlo >= rhi) continue;
            const mo = mask === null ? 0 : (maskB * maskHeads * seqQ + i0 + qi) * seqKV + g * group * maskHeadStride + j0;
            const a = rlo - j0;
            const e = rhi - j0;
            let hh = 0;
            for (; hh + 1 < group; hh += 2) {
              const r = qi * group + hh;
              const mr = mo + hh * maskHeadStride;
              scores2(Q, r * d, (r + 1) * d, k, kHead, kRow, rlo, rhi, j0, S, BLOCK_KEYS, d);
              const okA = update(S, 0, a, e, M, L, acc, r, dv, softcap, capInv, mask, mr);
              const okB = update(S, BLOCK_KEYS, a, e, M, L, acc, r + 1, dv, softcap, capInv, mask, mr + maskHeadStride);
              if (okA && okB) pv2(S, 0, BLOCK_KEYS, rlo, rhi, j0, v, vHead, vRow, acc, r * dv, (r + 1) * dv, dv);
              else if (okA) pv1(S, 0, rlo, rhi, j0, v, vHead, vRow, acc, r * dv, dv);
              else if (okB) pv1(S, BLOCK_KEYS, rlo, rhi, j0, v, vHead, vRow, acc, (r + 1) * dv, dv);
            }
            if (hh < group) {
              const r = qi * group + hh;
              scores1(Q, r * d, k, kHead, kRow, rlo, rhi, j0, S, 0, d);
              if (update(S, 0, a, e, M, L, acc, r, dv, softcap, capInv, mask, mo + hh * maskHeadStride)) {
                pv1(S, 0, rlo, rhi, j0, v, vHead, vRow, acc, r * dv, dv);
              }
            }
          }
        }
        for (let qi = 0, r = 0; qi < nq; qi++) {
          let dst = (b * seqQ + i0 + qi) * oRow + g * group * dv;
          for (let hh = 0; hh < group; hh++, r++, dst += dv) {
            const ao = r * dv;
            const inv = L[r] > 0 ? 1 / L[r] : 0;
            for (let t = 0; t < dv; t++) out[dst + t] = acc[ao + t] * inv;
          }
        }
      }
    }
  }
}
function scores1(Q, qo, k, kHead, kRow, rlo, rhi, j0, S, sOff, d) {
  let j = rlo;
  for (; j + 3 < rhi; j += 4) {
    const k0 = kHead + j * kRow;
    const k1 = k0 + kRow;
    const k2 = k1 + kRow;
    const k3 = k2 + kRow;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < d; t++) {
      const qt = Q[qo + t];
      s0 += qt * k[k0 + t];
      s1 += qt * k[k1 + t];
      s2 += qt * k[k2 + t];
      s3 += qt * k[k3 + t];
    }
    const o = sOff + j - j0;
    S[o] = s0;
    S[o + 1] = s1;
    S[o + 2] = s2;
    S[o + 3] = s3;
  }
  for (; j < rhi; j++) {
    const k0 = kHead + j * kRow;
    let s0 = 0;
    let s1 = 0;
    let t = 0;
    for (; t + 1 < d; t += 2) {
      s0 += Q[qo + t] * k[k0 + t];
      s1 += Q[qo + t + 1] * k[k0 + t + 1];
    }
    if (t < d) s0 += Q[qo + t] * k[k0 + t];
    S[sOff + j - j0] = s0 + s1;
  }
}
function scores2(Q, qa, qb, k, kHead, kRow, rlo, rhi, j0, S, s1Off, d) {
  let j = rlo;
  for (; j + 3 < rhi; j += 4) {
    const k0 = kHead + j * kRow;
    const k1 = k0 + kRow;
    const k2 = k1 + kRow;
    const k3 = k2 + kRow;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let t = 0; t < d; t++) {
      const x = Q[qa + t];
      const y = Q[qb + t];
      const c0 = k[k0 + t];
      const c1 = k[k1 + t];
      const c2 = k[k2 + t];
      const c3 = k[k3 + t];
      a0 += x * c0;
      a1 += x * c1;
      a2 += x * c2;
      a3 += x * c3;
      b0 += y * c0;
      b1 += y * c1;
      b2 += y * c2;
      b3 += y * c3;
    }
    const o = j - j0;
    S[o] = a0;
    S[o + 1] = a1;
    S[o + 2] = a2;
    S[o + 3] = a3;
    S[s1Off + o] = b0;
    S[s1Off + o + 1] = b1;
    S[s1Off + o + 2] = b2;
    S[s1Off + o + 3] = b3;
  }
  if (j < rhi) {
    scores1(Q, qa, k, kHead, kRow, j, rhi, j0, S, 0, d);
    scores1(Q, qb, k, kHead, kRow, j, rhi, j0, S, s1Off, d);
  }
}
function update(S, sOff, a, e, M, L, acc, r, dv, softcap, capInv, mask, mo) {
  let mx = -Infinity;
  let nan = false;
  if (softcap > 0 || mask !== null) {
    for (let x = a; x < e; x++) {
      let sc = S[sOff + x];
      if (softcap > 0) sc = softcap * Math.tanh(sc * capInv);
      if (mask !== null) sc += mask[mo + x];
      S[sOff + x] = sc;
      if (sc > mx) mx = sc;
      else if (sc !== sc) nan = true;
    }
  } else {
    for (let x = a; x < e; x++) {
      const sc = S[sOff + x];
      if (sc > mx) mx = sc;
      else if (sc !== sc) nan = true;
    }
  }
  if (nan) {
    M[r] = NaN;
    L[r] = NaN;
    acc.fill(NaN, r * dv, (r + 1) * dv);
    return false;
  }
  if (mx === -Infinity) return false;
  let m = M[r];
  if (mx > m) {
    if (m !== -Infinity) {
      const corr = Math.exp(m - mx);
      L[r] *= corr;
      const ao = r * dv;
      for (let t = 0; t < dv; t++) acc[ao + t] *= corr;
    }
    M[r] = mx;
    m = mx;
  }
  let l = 0;
  for (let x = a; x < e; x++) {
    const p = expNonPositive(S[sOff + x] - m);
    S[sOff + x] = p;
    l += p;
  }
  L[r] += l;
  return true;
}
function pv1(S, sOff, rlo, rhi, j0, v, vHead, vRow, acc, ao, dv) {
  let j = rlo;
  for (; j + 3 < rhi; j += 4) {
    const o = sOff + j - j0;
    const p0 = S[o];
    const p1 = S[o + 1];
    const p2 = S[o + 2];
    const p3 = S[o + 3];
    const v0 = vHead + j * vRow;
    const v1 = v0 + vRow;
    const v2 = v1 + vRow;
    const v3 = v2 + vRow;
    for (let t = 0; t < dv; t++) {
      acc[ao + t] += p0 * v[v0 + t] + p1 * v[v1 + t] + (p2 * v[v2 + t] + p3 * v[v3 + t]);
    }
  }
  for (; j < rhi; j++) {
    const p0 = S[sOff + j - j0];
    const v0 = vHead + j * vRow;
    for (let t = 0; t < dv; t++) acc[ao + t] += p0 * v[v0 + t];
  }
}
function pv2(S, sa, sb, rlo, rhi, j0, v, vHead, vRow, acc, aa, ab, dv) {
  let j = rlo;
  for (; j + 3 < rhi; j += 4) {
    const o = j - j0;
    const p0 = S[sa + o];
    const p1 = S[sa + o + 1];
    const p2 = S[sa + o + 2];
    const p3 = S[sa + o + 3];
    const q0 = S[sb + o];
    const q1 = S[sb + o + 1];
    const q2 = S[sb + o + 2];
    const q3 = S[sb + o + 3];
    const v0 = vHead + j * vRow;
    const v1 = v0 + vRow;
    const v2 = v1 + vRow;
    const v3 = v2 + vRow;
    for (let t = 0; t < dv; t++) {
      const x0 = v[v0 + t];
      const x1 = v[v1 + t];
      const x2 = v[v2 + t];
      const x3 = v[v3 + t];
      acc[aa + t] += p0 * x0 + p1 * x1 + (p2 * x2 + p3 * x3);
      acc[ab + t] += q0 * x0 + q1 * x1 + (q2 * x2 + q3 * x3);
    }
  }
  if (j < rhi) {
    pv1(S, sa, j, rhi, j0, v, vHead, vRow, acc, aa, dv);
    pv1(S, sb, j, rhi, j0, v, vHead, vRow, acc, ab, dv);
  }
}
var LN2_HI = 0.6931471803691238;
var LN2_LO = 19082149292705877e-26;
var ROUND_SHIFTER = 6755399441055744;
var POW2_NEG = /* @__PURE__ */ (() => {
  const t = new Float64Array(1076);
  for (let n = 0; n < t.length; n++) t[n] = 2 ** -n;
  return t;
})();
function expNonPositive(x) {
  if (!(x >= -745)) return x < -745 ? 0 : x;
  const n = x * Math.LOG2E + ROUND_SHIFTER - ROUND_SHIFTER;
  const r = x - n * LN2_HI - n * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320))))))));
  return p * POW2_NEG[-n];
}

// src/memory.ts
var POOL_MIN_BYTES = 256 * 1024;
var POOL_MAX_BYTES = 256 * 1024 * 1024;
function createMemory() {
  const pool = /* @__PURE__ */ new Map();
  let pooledBytes = 0;
  const take = (size) => {
    const list = pool.get(size);
    const a = list?.pop();
    if (a !== void 0) pooledBytes -= a.byteLength;
    return a;
  };
  return {
    // A private copy of `data`: the caller may keep mutating its array.
    upload(data) {
      const a = take(data.length);
      if (a === void 0) return data.slice();
      a.set(data);
      return a;
    },
    allocate(size) {
      const a = take(size);
      if (a === void 0) return new Float32Array(size);
      a.fill(0);
      return a;
    },
    // A copy, so later kernels writing into `storage` cannot change what the caller got.
    read(storage, size) {
      return Promise.resolve(storage.slice(0, size));
    },
    free(storage) {
      const bytes = storage.byteLength;
      if (bytes < POOL_MIN_BYTES || pooledBytes + bytes > POOL_MAX_BYTES) return;
      let list = pool.get(storage.length);
      if (list === void 0) pool.set(storage.length, list = []);
      list.push(storage);
      pooledBytes += bytes;
    },
    clear() {
      pool.clear();
      pooledBytes = 0;
    }
  };
}

// src/rmsnorm.ts
function rmsnorm(p) {
  const { x, residual, out, rows, hidden, eps, weightOffset } = p;
  const w = scratchF64("rmsnorm.w", hidden);
  for (let i = 0; i < hidden; i++) w[i] = p.weight[i] + weightOffset;
  const scratch = residual !== null && p.sum === null ? scratchF32("rmsnorm.h", hidden) : null;
  for (let r = 0, o = 0; r < rows; r++, o += hidden) {
    let h = x;
    let ho = o;
    let ss;
    if (residual === null) {
      ss = sumOfSquares(x, o, hidden);
    } else {
      h = scratch ?? p.sum;
      ho = scratch ? 0 : o;
      ss = addAndSumOfSquares(x, residual, o, h, ho, hidden);
    }
    const inv = 1 / Math.sqrt(ss / hidden + eps);
    for (let i = 0; i < hidden; i++) out[o + i] = h[ho + i] * inv * w[i];
  }
}
function sumOfSquares(x, o, n) {
  const n4 = n - (n & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < n4; i += 4) {
    const a = x[o + i];
    const b = x[o + i + 1];
    const c = x[o + i + 2];
    const d = x[o + i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) s0 += x[o + i] * x[o + i];
  return s0 + s1 + (s2 + s3);
}
function addAndSumOfSquares(x, r, o, h, ho, n) {
  const n4 = n - (n & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < n4; i += 4) {
    const a = Math.fround(x[o + i] + r[o + i]);
    const b = Math.fround(x[o + i + 1] + r[o + i + 1]);
    const c = Math.fround(x[o + i + 2] + r[o + i + 2]);
    const d = Math.fround(x[o + i + 3] + r[o + i + 3]);
    h[ho + i] = a;
    h[ho + i + 1] = b;
    h[ho + i + 2] = c;
    h[ho + i + 3] = d;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) {
    const a = Math.fround(x[o + i] + r[o + i]);
    h[ho + i] = a;
    s0 += a * a;
  }
  return s0 + s1 + (s2 + s3);
}

// src/rope.ts
function rope(p) {
  const { x, out, batch, seq, heads, headDim, rotaryDim, interleaved, table } = p;
  const { cos, sin, pairs, perToken } = table;
  const half = rotaryDim >> 1;
  const copyTail = out !== x && rotaryDim < headDim;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const t = (perToken ? b * seq + s : s) * pairs;
      let base = (b * seq + s) * heads * headDim;
      for (let h = 0; h < heads; h++, base += headDim) {
        if (interleaved) {
          for (let i = 0, e = base; i < half; i++, e += 2) {
            const c = cos[t + i];
            const sn = sin[t + i];
            const a = x[e];
            const v = x[e + 1];
            out[e] = a * c - v * sn;
            out[e + 1] = v * c + a * sn;
          }
        } else {
          const e2 = base + half;
          for (let i = 0; i < half; i++) {
            const c = cos[t + i];
            const sn = sin[t + i];
            const a = x[base + i];
            const v = x[e2 + i];
            out[base + i] = a * c - v * sn;
            out[e2 + i] = v * c + a * sn;
          }
        }
        if (copyTail) {
          for (let i = base + rotaryDim, end = base + headDim; i < end; i++) out[i] = x[i];
        }
      }
    }
  }
}

// src/index.ts
var CAPABILITIES = Object.freeze({
  dtypes: Object.freeze(["f32"]),
  threads: 1
});
function createCpuKernels() {
  const memory = createMemory();
  return {
    name: "cpu",
    capabilities: CAPABILITIES,
    upload: memory.upload,
    allocate: memory.allocate,
    read: memory.read,
    free: memory.free,
    dispose: memory.clear,
    copy,
    rmsnorm,
    rope,
    gqa
  };
}
async function createBackend(_options = {}) {
  return defineBackend(createCpuKernels());
}
export {
  copy as copyKernel,
  createBackend,
  createCpuKernels,
  gqa as gqaKernel,
  rmsnorm as rmsnormKernel,
  rope as ropeKernel
};
//# sourceMappingURL=index.js.map