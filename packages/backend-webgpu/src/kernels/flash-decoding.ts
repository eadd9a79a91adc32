/**
 * GQA decode: split-KV flash decoding (Dao et al. 2023, "Flash-Decoding"). With one or a
 * few query positions, one workgroup per KV head would leave a GPU idle, so the visible
 * key range is cut into chunks of `CHUNK` keys, processed in parallel, and merged.
 *
 * Algorithm, pass 1 (one workgroup per batch, KV head and chunk): the group's `R` query
 * rows (`seqQ * Hq/Hkv <= MAX_ROWS`) are loaded into workgroup memory; each thread takes
 * keys of the chunk, reads each key row from memory once and scores it against every
 * query row (soft-capped, masked, invisible keys excluded with `select`); per row, the
 * chunk's max and exp-sum are formed; then threads split over (value column, key subset)
 * accumulate `sum p * v`, reading each value row once for all rows. Each chunk writes a
 * partial (max, sum, unnormalised output). Keys at or past kvLength are never read.
 * Pass 2 (one thread per output element): rescale the partials to the global max, add
 * the sink to the denominator, divide; zero when nothing is visible. Weights (and the sink
 * term) are 2^-32 times exp(s - m), as in the prefill kernel, so Σ p·v cannot overflow.
 *
 * Speed: K and V are read once per KV head (not per query head), spread over
 * `ceil(keys / CHUNK)` workgroups. Measured on software Vulkan only; see apps/bench.
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
  keyRange,
  type GqaBindingName,
  type GqaCommon,
} from './gqa-common.js';
import { entry } from './wgsl.js';

const PASS1: readonly GqaBindingName[] = ['q', 'k', 'v', 'lens', 'u', 'mask', 'part'];
const COMBINE: readonly GqaBindingName[] = ['out', 'u', 'sinks', 'part'];

/** Query rows (seqQ * group) up to which decode uses this kernel. */
export const MAX_ROWS = 8;
/** Largest value head dim of this kernel (one value column vector per thread). */
export const MAX_DV = 256;
const WG = 64;
const CHUNK = 128;

/** Members both passes have, after the common ones. */
const SPLIT_UNIFORMS = {
  ...GQA_COMMON_UNIFORMS,
  /** Key chunks of CHUNK keys per (batch, KV head). */
  splits: 'u32',
  /** seqQ * group: the query rows in use (R rounds it up to a power of two). */
  queryRows: 'u32',
  /** Where the (max, sum) partials start in `part`, in vec4s. */
  mlOffset: 'u32',
} as const;

/** Pass 1's uniforms (one workgroup per batch, KV head and key chunk). */
export const FLASH_DECODING_UNIFORMS = defineUniforms('Params', {
  ...SPLIT_UNIFORMS,
  /** First key of chunk 0: the lowest key any batch can see. */
  keyStart: 'u32',
  /** Workgroups doing work: batch * headsKV * splits. */
  workgroups: 'u32',
  /** D4 (vec4s per key row) as a run-time value, for a loop the shader wants kept a loop. */
  keyVec4s: 'u32',
});

/** Pass 2's uniforms (one thread per output vec4). */
export const FLASH_COMBINE_UNIFORMS = defineUniforms('Params', {
  ...SPLIT_UNIFORMS,
  /** Threads doing work: batch * headsKV * queryRows * DV4. */
  threads: 'u32',
});

export interface FlashDecodingVariant extends GqaCommon {
  /** Query rows per KV head, rounded up to a power of two (<= MAX_ROWS). */
  rows: number;
}

export const flashDecodingKey = (v: FlashDecodingVariant): string => `flash-decoding:${commonKey(v)}:r${v.rows}`;
export const flashCombineKey = (v: FlashDecodingVariant): string => `flash-combine:${commonKey(v)}:r${v.rows}`;

/** Whether the split-KV kernel handles this call (else the prefill kernel does). */
export function useFlashDecoding(p: { seqQ: number; headsQ: number; headsKV: number; headDimV: number }): boolean {
  return p.seqQ * (p.headsQ / p.headsKV) <= MAX_ROWS && p.headDimV <= MAX_DV;
}

export function flashDecodingWgsl(v: FlashDecodingVariant): string {
  const R = v.rows;
  const D4 = Math.ceil(v.headDim / 4);
  const DV4 = Math.ceil(v.headDimV / 4);
  const parts = Math.max(1, Math.floor(WG / DV4));
  // qs (R * D4 vectors) is dead once scores are formed; its space then holds the
  // (part, row, column) partial sums. One array serves both.
  const shared = Math.max(R * D4, parts * R * DV4);
  return `${gqaPrelude(v, gqaBindingNames(v, PASS1), FLASH_DECODING_UNIFORMS)}
const R = ${R}u;
const CHUNK = ${CHUNK}u;
const PARTS = ${parts}u;
var<workgroup> qs: array<vec4<f32>, ${shared}>;
var<workgroup> sc: array<f32, ${R * CHUNK}>;
var<workgroup> row_m: array<f32, ${R}>;
var<workgroup> row_l: array<f32, ${R}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.workgroups) { return; }
  // g = (b * hkv + kvh) * splits + split
  let split = g % u.splits;
  let bk = g / u.splits;
  let kvh = bk % u.headsKV;
  let b = bk / u.headsKV;
  let rows = u.queryRows;              // seqQ * group
  let kvlen = lens[b];
  let qo = lens[u.batch + b];
  let start = i32(u.keyStart) + i32(split * CHUNK);
  let end = min(start + i32(CHUNK), kvlen);

  for (var e = lid; e < R * D4; e += ${WG}u) {
    let r = e / D4;
    let qi = r / u.group;
    let h = kvh * u.group + r % u.group;
    qs[e] = select(vec4<f32>(0.0), load_q(q_row(b * u.seqQ + min(qi, u.seqQ - 1u), h), e % D4) * u.scale, r < rows);
  }
  workgroupBarrier();

  // Scores: thread -> keys, each key row read once for all R rows.
  for (var kk = lid; kk < CHUNK; kk += ${WG}u) {
    let j = start + i32(kk);
    var acc: array<f32, R>;
    for (var r = 0u; r < R; r++) { acc[r] = 0.0; }   // explicit: one declaration per loop trip
    if (j < end) {
      let krow = k_row(b * u.seqKV + u32(j), kvh);
      // u.keyVec4s (= D4), not the constant: the loop stays a loop (unrolled with the row loop
      // inside, this shader took lavapipe's LLVM ~3 s to compile; a loop: ~0.3 s).
      for (var c = 0u; c < u.keyVec4s; c++) {
        let kv = load_k(krow, c);
        for (var r = 0u; r < R; r++) { acc[r] += dot(qs[r * D4 + c], kv); }
      }
    }
    for (var r = 0u; r < R; r++) {
      let qi = r / u.group;
      let h = kvh * u.group + r % u.group;
      var s = NEG;
      if (j < end && r < rows) {
        let x = cap(acc[r]) + mask_at(b, h, qi, u32(j));
        if (visible(qo + i32(qi), u32(j))) { s = x; }   // NaN and -Inf (mask) kept, as the reference
      }
      sc[r * CHUNK + kk] = s;
    }
  }
  workgroupBarrier();

  // Per-row max and exp-sum over the chunk's keys (slots past them hold NEG / -1). The
  // bound is never a constant, so compilers keep these loops loops (unrolled 128 times,
  // they made lavapipe's LLVM compile slowly).
  let nk = u32(clamp(end - start, 0, i32(CHUNK)));
  if (lid < R) {
    var m = NEG;
    for (var kk = 0u; kk < nk; kk++) { m = nmax(m, sc[lid * CHUNK + kk]); }
    row_m[lid] = m;
  }
  workgroupBarrier();
  for (var e = lid; e < R * CHUNK; e += ${WG}u) {
    let s = sc[e];
    // -1 marks a hidden key (p is in [0, 2^-32] or NaN otherwise; a -Inf key gives p = 0).
    // p is 2^-32 smaller (LOW): Σ p·v cannot overflow for finite v.
    sc[e] = select(exp(s - row_m[e / CHUNK]) * LOW, -1.0, s == NEG);
  }
  workgroupBarrier();
  if (lid < R) {
    var l = 0.0;
    for (var kk = 0u; kk < nk; kk++) { let x = sc[lid * CHUNK + kk]; l += select(0.0, x, !(x < 0.0)); }
    row_l[lid] = l;
  }

  // o[r][c] = sum_k p[r][k] * v[k][c]: thread -> (column c, key subset part).
  let c = lid % DV4;
  let kpart = lid / DV4;
  var accv: array<vec4<f32>, R>;
  if (kpart < PARTS) {
    for (var kk = kpart; kk < CHUNK; kk += PARTS) {
      let j = start + i32(kk);
      if (j >= end) { break; }
      let vv = load_v(v_row(b * u.seqKV + u32(j), kvh), c);
      for (var r = 0u; r < R; r++) {
        let x = sc[r * CHUNK + kk];
        accv[r] += select(vec4<f32>(0.0), x * vv, !(x < 0.0));   // never 0 * NaN
      }
    }
  }
  workgroupBarrier();   // everyone is done with qs: reuse it for the partial sums
  if (kpart < PARTS) {
    for (var r = 0u; r < R; r++) { qs[(kpart * R + r) * DV4 + c] = accv[r]; }
  }
  workgroupBarrier();
  for (var e = lid; e < R * DV4; e += ${WG}u) {
    let r = e / DV4;
    let cc = e % DV4;
    var t = vec4<f32>(0.0);
    for (var pp = 0u; pp < PARTS; pp++) { t += qs[(pp * R + r) * DV4 + cc]; }
    part[(g * R + r) * DV4 + cc] = t;
  }
  if (lid < R) {
    part[u.mlOffset + g * R + lid] = vec4<f32>(row_m[lid], row_l[lid], 0.0, 0.0);
  }
}
`;
}

export function flashCombineWgsl(v: FlashDecodingVariant): string {
  const R = v.rows;
  return `${gqaPrelude(v, gqaBindingNames(v, COMBINE), FLASH_COMBINE_UNIFORMS)}
const R = ${R}u;
${entry(WG, false)}
  // One thread per (b, kvh, r, c): u.threads threads in all.
  let t = group * ${WG}u + lid;
  if (t >= u.threads) { return; }
  let c = t % DV4;
  let r = (t / DV4) % u.queryRows;
  let bk = t / (DV4 * u.queryRows);
  let kvh = bk % u.headsKV;
  let b = bk / u.headsKV;
  let splits = u.splits;
  let qi = r / u.group;
  let h = kvh * u.group + r % u.group;
  var m = sink_of(h);
  for (var s = 0u; s < splits; s++) { m = nmax(m, part[u.mlOffset + (bk * splits + s) * R + r].x); }
  var l = 0.0;
  var o = vec4<f32>(0.0);
  if (!(m <= NEG)) {
    ${v.sinks ? 'l = exp(sink_of(h) - m) * LOW;' : ''}
    for (var s = 0u; s < splits; s++) {
      let i = (bk * splits + s) * R + r;
      let ml = part[u.mlOffset + i];
      if (!(ml.x <= NEG)) {
        let f = exp(ml.x - m);
        l += ml.y * f;
        o += part[i * DV4 + c] * f;
      }
    }
  }
  let res = finish(o, select(0.0, 1.0 / l, l > 0.0));
  let obase = out_at(b * u.seqQ + qi, h) + c * 4u;
  for (var e = 0u; e < 4u; e++) {
    if (c * 4u + e < DV) { out[obase + e] = T(res[e]); }
  }
}
`;
}

export function encodeFlashDecoding(ctx: GpuContext, p: GqaKernelParams<GpuTensor>, common: GqaCommon): void {
  const group = p.headsQ / p.headsKV;
  const rowsUsed = p.seqQ * group;
  const rows = 2 ** Math.ceil(Math.log2(rowsUsed));
  const v: FlashDecodingVariant = { ...common, rows };
  // Key range over all batches; each batch's own bound is applied on the device.
  let lo = Infinity;
  let hi = 0;
  for (let b = 0; b < p.batch; b++) {
    const [l, h] = keyRange(p, b);
    if (h > l) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, h);
    }
  }
  if (hi === 0) lo = hi = 0;
  const splits = Math.max(1, Math.ceil((hi - lo) / CHUNK));
  const groups = p.batch * p.headsKV * splits;
  const DV4 = Math.ceil(p.headDimV / 4);
  const mlBase = groups * rows * DV4;
  const part = ctx.scratch((mlBase + groups * rows) * 16);
  const meta = gqaMeta(ctx, p);
  const buffers = { q: p.q, k: p.k, v: p.v, out: p.out, lens: meta, mask: p.mask, sinks: p.sinks, part };
  const pass1 = ctx.pipeline(flashDecodingKey(v), () => flashDecodingWgsl(v));
  const split = { ...gqaCommonUniforms(p, v), splits, queryRows: rowsUsed, mlOffset: mlBase };
  const u1 = ctx.uniforms(FLASH_DECODING_UNIFORMS, { ...split, keyStart: lo, workgroups: groups, keyVec4s: Math.ceil(p.headDim / 4) });
  ctx.dispatch(pass1, gqaBindings(gqaBindingNames(v, PASS1), { ...buffers, u: u1 }), ctx.grid(groups), 'gqa-decode');
  const pass2 = ctx.pipeline(flashCombineKey(v), () => flashCombineWgsl(v));
  const threads = p.batch * p.headsKV * rowsUsed * DV4;
  const u2 = ctx.uniforms(FLASH_COMBINE_UNIFORMS, { ...split, threads });
  ctx.dispatch(pass2, gqaBindings(gqaBindingNames(v, COMBINE), { ...buffers, u: u2 }), ctx.grid(Math.ceil(threads / WG)), 'gqa-combine');
}
