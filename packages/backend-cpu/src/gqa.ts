/**
 * Grouped-query attention, flash-attention style, on Float32Array `bshd` tensors.
 *
 * Loop order: batch -> kv head -> query tile (a block of queries x the group's
 * `Hq / Hkv` query heads, about TILE_ROWS rows) -> key blocks of BLOCK_KEYS -> rows. A K/V
 * block is loaded from memory once per tile and reused from cache by every row of the
 * tile, so each K/V row is streamed once for all query heads of its group (K/V are never
 * expanded by copying). Per query the visible key range `[lo, hi)` is computed from
 * kvLength, queryOffset, causal and window; keys outside it are never read (a
 * preallocated cache may hold NaN garbage there), so causal prefill does half the work.
 *
 * Per block, two heads of the group at a time (2-row register blocking: every K and V
 * element loaded feeds two rows): scores, 2 rows x 4 keys per pass over d (8 independent
 * accumulators); softcap (tanh) then the additive mask, whose values <= -1e30 read as -Inf
 * (SPEC: finfo.min fills are masks; one compare in the mask branch); the block max; one
 * rescale of the running state if the max grew (one `Math.exp` per row and block); `p = exp(s - m)` with
 * a fast polynomial exp (the only per-score exp); `acc += p V`, 2 rows x 4 keys per pass
 * over dv. Running max, denominator, accumulators are float64. A sink starts the row as
 * `m = sink, l = exp(0) = 1`: it joins the running max and the denominator only. A row
 * that saw no key (or only -Inf) writes zeros; a NaN score makes its row NaN.
 * Decode (seqQ = 1) is the same loop with a tile of one query x the group's heads.
 *
 * Measured (Node 20, 1 thread, AMD EPYC, shared 2-core machine; Hq=32, Hkv=8, d=64;
 * kernel only, min of interleaved runs), choosing the loop order:
 *   per query head, all keys (K/V re-read per head)      prefill 512: 319 ms, decode 2048: 5.1 ms
 *   tiled as above, one row at a time                    prefill 512: 320 ms, decode 2048: 4.9 ms
 *   tiled, two rows per pass (kept)                      prefill 512: 228 ms, decode 2048: 3.5 ms
 *   + fast exp instead of Math.exp (8 ns -> 4 ns)        prefill 512: ~220 ms, decode 2048: ~3.4 ms
 * K/V blocks widened to float64 first were slower (350 ms); 32..256-key blocks and 16..64-row
 * tiles were within 3% of each other. That is ~2.4 G multiply-adds/s, close to what scalar
 * JS (no SIMD, no FMA) can issue; onnxruntime-node's AVX2 kernels run this 512-token
 * prefill in ~17 ms and the decode in ~1.2-1.7 ms on one thread (bench/compare-ort.mjs).
 */
import type { GqaKernelParams } from '@llama-ops/core';
import type { CpuStorage } from './memory.js';
import { scratchF64, scratchI32 } from './scratch.js';

/** Keys per block: the block's K and V rows (2 x 128 x 64 f32 = 64 KiB for d = 64) stay in L1/L2. */
const BLOCK_KEYS = 128;
/** Rows (queries x group heads) per tile: K/V blocks are reused by this many rows. */
const TILE_ROWS = 32;
/** Mask values at or below this count as masked, as -Inf (SPEC.md "Range and special values"). */
const MASKED_AT = -1e30;

export function gqa(p: GqaKernelParams<CpuStorage>): void {
  const { q, k, v, out, mask, maskBatch, maskHeads, sinks, batch, seqQ, seqKV, headsQ, headsKV } = p;
  const { scale, causal, window, softcap, kvLength, queryOffset, layout } = p;
  const d = p.headDim;
  const dv = p.headDimV;
  const group = headsQ / headsKV;
  const tileQ = Math.max(1, Math.min(seqQ, Math.floor(TILE_ROWS / group)));
  const rowsMax = tileQ * group;

  const Q = scratchF64('gqa.q', rowsMax * d);
  const acc = scratchF64('gqa.acc', rowsMax * dv);
  const M = scratchF64('gqa.m', rowsMax);
  const L = scratchF64('gqa.l', rowsMax);
  const S = scratchF64('gqa.s', 2 * BLOCK_KEYS);
  const lo = scratchI32('gqa.lo', tileQ);
  const hi = scratchI32('gqa.hi', tileQ);

  // Token strides and offsets (views: q/k/v may be slices of one packed projection).
  const qRow = layout.q.rowStride;
  const kRow = layout.k.rowStride;
  const vRow = layout.v.rowStride;
  const oRow = layout.out.rowStride;
  const maskBase = layout.mask.offset;
  const sinkBase = layout.sinks.offset;
  const capInv = softcap > 0 ? 1 / softcap : 0;
  // Mask offsets: batch/head strides are 0 where the mask broadcasts.
  const maskHeadStride = maskHeads === 1 ? 0 : seqQ * seqKV;

  for (let b = 0; b < batch; b++) {
    const len = kvLength[b];
    const off = queryOffset[b];
    const kBase = layout.k.offset + b * seqKV * kRow;
    const vBase = layout.v.offset + b * seqKV * vRow;
    const maskB = maskBatch === 1 ? 0 : b;
    for (let g = 0; g < headsKV; g++) {
      const kHead = kBase + g * d;
      const vHead = vBase + g * dv;
      for (let i0 = 0; i0 < seqQ; i0 += tileQ) {
        const nq = Math.min(tileQ, seqQ - i0);
        const rows = nq * group;

        // Visible key range per query, and their union for the tile.
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

        // Row r = qi * group + hh holds query i0 + qi of head g * group + hh, pre-scaled.
        for (let qi = 0, r = 0; qi < nq; qi++) {
          let src = layout.q.offset + (b * seqQ + i0 + qi) * qRow + g * group * d;
          for (let hh = 0; hh < group; hh++, r++, src += d) {
            const dst = r * d;
            for (let t = 0; t < d; t++) Q[dst + t] = q[src + t] * scale;
            const sink = sinks === null ? -Infinity : sinks[sinkBase + g * group + hh];
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
            // Mask offset of (query i0 + qi, key j0) for query head g * group.
            const mo = mask === null ? 0 : maskBase + (maskB * maskHeads * seqQ + i0 + qi) * seqKV + g * group * maskHeadStride + j0;
            const a = rlo - j0;
            const e = rhi - j0;
            // Two heads of the group at a time share every K and V load (2-row register blocking).
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

        // out = acc / l; a row that saw no key (l = 0, or only its sink) writes zeros.
        for (let qi = 0, r = 0; qi < nq; qi++) {
          let dst = layout.out.offset + (b * seqQ + i0 + qi) * oRow + g * group * dv;
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

/** Scores of one row for keys [rlo, rhi) into S[sOff + j - j0]; four keys per pass over q. */
function scores1(
  Q: Float64Array, qo: number, k: Float32Array, kHead: number, kRow: number,
  rlo: number, rhi: number, j0: number, S: Float64Array, sOff: number, d: number,
): void {
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

/** Scores of two rows (same key range) into S[j - j0] and S[s1Off + j - j0]: 2 rows x 4 keys per pass. */
function scores2(
  Q: Float64Array, qa: number, qb: number, k: Float32Array, kHead: number, kRow: number,
  rlo: number, rhi: number, j0: number, S: Float64Array, s1Off: number, d: number,
): void {
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

/**
 * Softcap and mask the scores S[sOff + a .. sOff + e) of row r, fold them into the row's
 * running max / denominator (rescaling acc once if the max grew) and turn them into
 * p = exp(s - m). Returns false when every score is -Inf (nothing to accumulate) or one
 * is NaN (the row becomes NaN).
 * `mo` is the mask offset of key j0 (mask[mo + j - j0 + ...] = mask[mo + (a + x)]).
 */
function update(
  S: Float64Array, sOff: number, a: number, e: number, M: Float64Array, L: Float64Array, acc: Float64Array,
  r: number, dv: number, softcap: number, capInv: number, mask: Float32Array | null, mo: number,
): boolean {
  let mx = -Infinity;
  let nan = false;
  if (softcap > 0 || mask !== null) {
    for (let x = a; x < e; x++) {
      let sc = S[sOff + x];
      if (softcap > 0) sc = softcap * Math.tanh(sc * capInv);
      if (mask !== null) {
        // SPEC: mask values <= -1e30 (finfo.min fills) count as masked, so a row masked this way is zeros.
        const mv = mask[mo + x];
        sc = mv <= MASKED_AT ? -Infinity : sc + mv;
      }
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
    // A NaN score makes the whole row NaN (as the formula does); M = NaN keeps it so.
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

/** acc[ao..] += sum_j p_j V_j for keys [rlo, rhi), four keys per pass over the accumulator row. */
function pv1(
  S: Float64Array, sOff: number, rlo: number, rhi: number, j0: number, v: Float32Array, vHead: number, vRow: number,
  acc: Float64Array, ao: number, dv: number,
): void {
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

/** Two rows' pv1 sharing each V load: 2 rows x 4 keys per pass. */
function pv2(
  S: Float64Array, sa: number, sb: number, rlo: number, rhi: number, j0: number, v: Float32Array, vHead: number, vRow: number,
  acc: Float64Array, aa: number, ab: number, dv: number,
): void {
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

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const ROUND_SHIFTER = 6755399441055744;
/** POW2_NEG[n] = 2^-n, n = 0..1075 (the last ones subnormal or 0). */
const POW2_NEG = /* @__PURE__ */ (() => {
  const t = new Float64Array(1076);
  for (let n = 0; n < t.length; n++) t[n] = 2 ** -n;
  return t;
})();

/**
 * exp(x) for x <= 0 (softmax numerators s - max), about 2x faster than `Math.exp` in V8 (8 ns -> 4 ns):
 * x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact reduction), e^r by its
 * degree-8 Taylor polynomial (relative error < 3e-10, far inside gqa's 1e-4 bound), times
 * 2^n from a table. x < -745 (including -Infinity from the mask) gives 0 and NaN stays NaN, as with exp.
 */
function expNonPositive(x: number): number {
  if (!(x >= -745)) return x < -745 ? 0 : x; // -Infinity -> 0, NaN stays NaN
  // Round to nearest by the 1.5 * 2^52 shifter (Math.round is slower in V8); |x log2e| < 2^51.
  const n = x * Math.LOG2E + ROUND_SHIFTER - ROUND_SHIFTER;
  const r = x - n * LN2_HI - n * LN2_LO;
  const p =
    1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320))))))));
  return p * POW2_NEG[-n];
}
