/**
 * GQA prefill: a flash-attention kernel (Dao et al. 2022) that never forms the score
 * matrix.
 *
 * Algorithm: one workgroup per (batch, KV head, tile of `bq` query positions, chunk of
 * up to `gw` query heads of the group). Its `bq * gw` threads each own one query row (q
 * and the output accumulator in registers). Keys are walked in tiles of `bk`: the tile of
 * K and V is loaded into workgroup memory once and shared by every query head of the
 * group (the point of GQA), scores are soft-capped, masked and folded into an online
 * softmax (running max; the accumulator is rescaled only when the max grows by more than
 * e^8). Only the key range the tile's queries can see (causal bound, window, kvLength) is
 * walked: fully masked tiles are skipped. Keys at or past kvLength are never read (their
 * slots are zero-filled), and every masked score is excluded with `select`, never
 * multiplied by zero, so NaN garbage in a preallocated cache cannot leak. A row that sees
 * nothing outputs zeros; sinks start the softmax denominator. Edges of f32 (SPEC.md "Range
 * and special values"): weights are 2^-32 times exp(s - m) (gqa-common's SOFTMAX_LOW), so
 * Σ p·v cannot overflow for values up to f32's max; scores stay in natural units until the
 * max is subtracted, so no representable score is multiplied into Inf.
 *
 * Speed: K/V traffic is `seqKV * (d + dv)` per (KV head, query tile) instead of per query
 * head. Per-thread register use grows with head dim (q and o are `d + dv` floats), so
 * large head dims run at lower occupancy. Measured on software Vulkan only; see
 * apps/bench for GPU numbers.
 */
import type { GqaKernelParams } from '@llama-ops/core';
import type { GpuContext, GpuTensor } from '../context.js';
import { defineUniforms } from '../uniforms.js';
import {
  commonKey,
  GQA_COMMON_UNIFORMS,
  gqaBindingNames,
  gqaBindings,
  gqaCommonUniforms,
  gqaMeta,
  gqaPrelude,
  type GqaBindingName,
  type GqaCommon,
} from './gqa-common.js';

const BINDINGS: readonly GqaBindingName[] = ['q', 'k', 'v', 'out', 'lens', 'u', 'mask', 'sinks'];

/** The flash-attention shader's uniforms. */
export const FLASH_ATTENTION_UNIFORMS = defineUniforms('Params', {
  ...GQA_COMMON_UNIFORMS,
  /** ceil(seqQ / bq). */
  queryTiles: 'u32',
  /** ceil(group / gw). */
  headChunks: 'u32',
  /** Workgroups doing work: batch * headsKV * queryTiles * headChunks. */
  workgroups: 'u32',
});

export interface FlashAttentionVariant extends GqaCommon {
  /** Query positions per workgroup. */
  bq: number;
  /** Query heads (of one group) per workgroup. */
  gw: number;
  /** Keys per tile held in workgroup memory. */
  bk: number;
}

const TARGET_THREADS = 64;
const SHARED_BUDGET = 16384;

export const flashAttentionKey = (v: FlashAttentionVariant): string => `flash-attention:${commonKey(v)}:bq${v.bq}:gw${v.gw}:bk${v.bk}`;

export function flashAttentionVariant(ctx: GpuContext, p: { common: GqaCommon; seqQ: number; group: number }): FlashAttentionVariant {
  const maxThreads = Math.min(TARGET_THREADS, ctx.limits.maxComputeInvocationsPerWorkgroup);
  const gw = Math.min(p.group, maxThreads);
  // Rounded to a power of two so short prompts of different lengths share a pipeline.
  const bq = Math.max(1, Math.min(Math.floor(maxThreads / gw), 2 ** Math.ceil(Math.log2(p.seqQ))));
  const vecs = Math.ceil(p.common.headDim / 4) + Math.ceil(p.common.headDimV / 4);
  const budget = Math.min(SHARED_BUDGET, ctx.limits.maxComputeWorkgroupStorageSize);
  const bk = Math.max(1, Math.min(32, Math.floor(budget / (vecs * 16))));
  return { ...p.common, bq, gw, bk };
}

export function flashAttentionWgsl(v: FlashAttentionVariant): string {
  const wg = v.bq * v.gw;
  return `${gqaPrelude(v, gqaBindingNames(v, BINDINGS), FLASH_ATTENTION_UNIFORMS)}
const BQ = ${v.bq}u;
const GW = ${v.gw}u;
const BK = ${v.bk}u;
// Growth of the max (in nats) tolerated before the accumulator is rescaled: e^8 ~ 3000.
const RESCALE = 8.0;
var<workgroup> kt: array<vec4<f32>, ${v.bk * Math.ceil(v.headDim / 4)}>;
var<workgroup> vt: array<vec4<f32>, ${v.bk * Math.ceil(v.headDimV / 4)}>;

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var g = wid.x + wid.y * nwg.x;
  if (g >= u.workgroups) { return; }
  // g = ((b * hkv + kvh) * qtiles + qtile) * hchunks + hchunk
  let hchunk = g % u.headChunks; g = g / u.headChunks;
  let qtile = g % u.queryTiles; g = g / u.queryTiles;
  let kvh = g % u.headsKV;
  let b = g / u.headsKV;

  let qi = qtile * BQ + lid / GW;
  let hg = hchunk * GW + lid % GW;      // head within the group
  let h = kvh * u.group + hg;
  let valid = qi < u.seqQ && hg < u.group;

  let kvlen = lens[b];
  let qo = lens[u.batch + b];
  let p = qo + i32(qi);
  // Keys any row of this workgroup can see: [lo, hi).
  let pmax = qo + i32(min(qtile * BQ + BQ, u.seqQ)) - 1;
  let pmin = qo + i32(qtile * BQ);
  var hi = kvlen;
  if (u.causal != 0u) { hi = min(hi, max(pmax + 1, 0)); }
  var lo = 0;
  if (u.window > 0) { lo = max(0, pmin - u.window + 1); }

  var qv: array<vec4<f32>, D4>;
  var o: array<vec4<f32>, DV4>;
  let qtok = select(0u, b * u.seqQ + qi, valid);
  let qh = select(0u, h, valid);
  let qrow = q_row(qtok, qh);
  for (var c = 0u; c < D4; c++) { qv[c] = load_q(qrow, c) * u.scale; }
  for (var c = 0u; c < DV4; c++) { o[c] = vec4<f32>(0.0); }
  var m = NEG;
  var l = 0.0;
  ${v.sinks ? 'if (valid) { m = sink_of(h); l = LOW; }' : ''}

  for (var t0 = lo; t0 < hi; t0 += i32(BK)) {
    // Load the K/V tile once for every query row of the workgroup; slots past hi stay 0.
    for (var e = lid; e < BK * D4; e += ${wg}u) {
      let j = t0 + i32(e / D4);
      kt[e] = select(vec4<f32>(0.0), load_k(k_row(b * u.seqKV + u32(min(j, hi - 1)), kvh), e % D4), j < hi);
    }
    for (var e = lid; e < BK * DV4; e += ${wg}u) {
      let j = t0 + i32(e / DV4);
      vt[e] = select(vec4<f32>(0.0), load_v(v_row(b * u.seqKV + u32(min(j, hi - 1)), kvh), e % DV4), j < hi);
    }
    workgroupBarrier();
    // One key at a time. The loop bound depends on the tile, never a constant, so compilers
    // keep it a loop: unrolled over a 32-key tile, the body made lavapipe's LLVM take
    // minutes per shader (70-470 s measured; this form: 1.5-3 s). The online softmax
    // rescales lazily: only when a score exceeds the running max m by more than RESCALE
    // (or m is unset, or NaN is involved). Until then p = exp(s - m) <= e^RESCALE cannot
    // overflow, and l and o share the same m, so o / l is the same; a warp then rarely
    // takes the rescale branch at all.
    let nk = u32(min(i32(BK), hi - t0));
    for (var kk = 0u; kk < nk; kk++) {
      let j = u32(t0) + kk;
      var acc = 0.0;
      for (var c = 0u; c < D4; c++) { acc += dot(qv[c], kt[kk * D4 + c]); }
      // As the reference: a visible key keeps its score even when NaN or -Inf (mask), so
      // NaN reaches the output and a -Inf key adds 0 * v; only hidden keys are NEG.
      let vis = valid && visible(p, j);
      let s = select(NEG, cap(acc) + mask_at(b, h, qi, select(0u, j, vis)), vis);
      let mn = nmax(m, s);
      if (!(mn <= NEG)) {
        // !(<=), not >: true when either side is NaN (an ordered > would let a NaN score
        // skip the accumulator).
        if (!(mn <= m + RESCALE)) {
          let alpha = exp(m - mn);
          l *= alpha;
          for (var c = 0u; c < DV4; c++) { o[c] *= alpha; }
          m = mn;
        }
        // select, not 0 * v: a hidden key's v may be NaN/Inf. p is 2^-32 smaller (LOW):
        // Σ p·v cannot overflow for finite v.
        let seen = !(s == NEG);
        let pk = select(0.0, exp(s - m) * LOW, seen);
        l += pk;
        let vb = kk * DV4;
        for (var c = 0u; c < DV4; c++) { o[c] += select(vec4<f32>(0.0), pk * vt[vb + c], seen); }
      }
    }
    workgroupBarrier();
  }

  if (!valid) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  let obase = out_at(b * u.seqQ + qi, h);
  for (var c = 0u; c < DV4; c++) {
    let r = finish(o[c], inv);
    for (var e = 0u; e < 4u; e++) {
      if (c * 4u + e < DV) { out[obase + c * 4u + e] = T(r[e]); }
    }
  }
}
`;
}

export function encodeFlashAttention(ctx: GpuContext, p: GqaKernelParams<GpuTensor>, common: GqaCommon): void {
  const group = p.headsQ / p.headsKV;
  const v = flashAttentionVariant(ctx, { common, seqQ: p.seqQ, group });
  const qtiles = Math.ceil(p.seqQ / v.bq);
  const hchunks = Math.ceil(group / v.gw);
  const groups = p.batch * p.headsKV * qtiles * hchunks;
  const pipeline = ctx.pipeline(flashAttentionKey(v), () => flashAttentionWgsl(v));
  const meta = gqaMeta(ctx, p);
  const uniforms = ctx.uniforms(FLASH_ATTENTION_UNIFORMS, { ...gqaCommonUniforms(p, v), queryTiles: qtiles, headChunks: hchunks, workgroups: groups });
  const bindings = gqaBindings(gqaBindingNames(v, BINDINGS), { q: p.q, k: p.k, v: p.v, out: p.out, lens: meta, u: uniforms, mask: p.mask, sinks: p.sinks });
  ctx.dispatch(pipeline, bindings, ctx.grid(groups), 'gqa-prefill');
}
