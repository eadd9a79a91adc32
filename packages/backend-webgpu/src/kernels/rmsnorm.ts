/**
 * RMSNorm and fused add + RMSNorm: one workgroup per row.
 *
 * Algorithm: each thread loads its slice of the row once (vec4 loads when hidden and every
 * operand's element offset and row stride are multiples of 4; scalar loads otherwise),
 * forms h = x (+ residual) (and stores the sum for addRmsnorm), and keeps it in registers
 * when the row fits (up to 8 vectors per thread; larger rows are re-read, which hits the
 * cache). The row's max |h| = m is reduced first, and the sum of squares is taken over h · s
 * with s the power of two that puts m in [1, 2) (exact, and a normal f32 even at f32's max,
 * where 1 / m is subnormal and flushed by drivers), so it cannot overflow for any finite h
 * (SPEC: |h| <= 1e18 must not give Inf; rows near 3.4e38 give the exact result) nor lose
 * tiny rows to underflow when eps = 0. Both reductions are a shared-memory tree, or
 * subgroup reductions plus one short shared pass on devices with subgroups.
 * y = (h · s) / sqrt(ss / hidden + eps · s^2) * (weight + weightOffset); an all-zero row with
 * eps = 0 is NaN (0 / 0, SPEC "Range and special values"), selected explicitly.
 * Operands are whole buffers: where each one's rows start and how far apart they are (views,
 * core's `OperandLayout`) are uniforms in units of the load width, so no layout compiles a
 * shader of its own (only the vec4/scalar choice does).
 *
 * Speed: memory-bound by design (one read of x, residual and weight, one write of y and
 * sum). Measured on software Vulkan only (SwiftShader, lavapipe), which says nothing about
 * GPUs; see apps/bench for GPU numbers.
 */
import type { DType, OperandLayout, RmsnormKernelParams } from '@llama-ops/core';
import type { GpuContext, GpuTensor } from '../context.js';
import { defineUniforms } from '../uniforms.js';
import { entry, nextPow2, reduceArgs, reductions, storageHeader } from './wgsl.js';

/** What changes the shader. */
export interface RmsnormVariant {
  dtype: DType;
  /** 4: vec4 loads (hidden and every offset and row stride % 4 == 0); 1: scalar. */
  vec: 1 | 4;
  /** Threads per workgroup (power of two). */
  wg: number;
  /** Vectors per thread kept in registers; 0 = stream the row (re-read it). */
  regs: number;
  residual: boolean;
  sum: boolean;
  subgroups: boolean;
}

const MAX_REGS = 8;

/** The RMSNorm shader's uniforms. */
export const RMSNORM_UNIFORMS = defineUniforms('Params', {
  rows: 'u32',
  /** Loads per row: hidden / vec. */
  rowVectors: 'u32',
  /** hidden as a float, the mean's divisor. */
  hidden: 'f32',
  eps: 'f32',
  weightOffset: 'f32',
  // Where each operand lies, in loads (elements / vec): row r of x starts at xStart + r * xStride.
  xStart: 'u32',
  xStride: 'u32',
  residualStart: 'u32',
  residualStride: 'u32',
  weightStart: 'u32',
  outStart: 'u32',
  outStride: 'u32',
  sumStart: 'u32',
  sumStride: 'u32',
});

export function rmsnormKey(v: RmsnormVariant): string {
  return `rmsnorm:${v.dtype}:v${v.vec}:wg${v.wg}:r${v.regs}:${v.residual ? 'res' : ''}${v.sum ? 'sum' : ''}:${v.subgroups ? 'sg' : 'tree'}`;
}

export function rmsnormVariant(
  ctx: GpuContext,
  p: { hidden: number; dtype: DType; residual: boolean; sum: boolean; layouts: readonly OperandLayout[] },
): RmsnormVariant {
  const vec = p.hidden % 4 === 0 && p.layouts.every((l) => l.offset % 4 === 0 && l.rowStride % 4 === 0) ? 4 : 1;
  const n = p.hidden / vec;
  // About 4 vectors per thread, 32..256 threads (capped by the device).
  const wg = Math.min(256, nextPow2(Math.max(32, Math.ceil(n / 4))), prevPow2(ctx.limits.maxComputeInvocationsPerWorkgroup));
  const perThread = Math.ceil(n / wg);
  return { dtype: p.dtype, vec, wg, regs: perThread <= MAX_REGS ? perThread : 0, residual: p.residual, sum: p.sum, subgroups: ctx.subgroups };
}

function prevPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

export function rmsnormWgsl(v: RmsnormVariant): string {
  const V = v.vec === 4 ? 'vec4<f32>' : 'f32';
  const VT = v.vec === 4 ? 'vec4<T>' : 'T';
  let b = 0;
  const decl: string[] = [];
  decl.push(`@group(0) @binding(${b++}) var<storage, read> x: array<${VT}>;`);
  if (v.residual) decl.push(`@group(0) @binding(${b++}) var<storage, read> res: array<${VT}>;`);
  decl.push(`@group(0) @binding(${b++}) var<storage, read> weight: array<${VT}>;`);
  decl.push(`@group(0) @binding(${b++}) var<storage, read_write> y: array<${VT}>;`);
  if (v.sum) decl.push(`@group(0) @binding(${b++}) var<storage, read_write> hsum: array<${VT}>;`);
  decl.push(`@group(0) @binding(${b++}) var<uniform> u: Params;`);
  const loadH = v.residual ? `${V}(x[xb + i]) + ${V}(res[rb + i])` : `${V}(x[xb + i])`;
  const amax = v.vec === 4 ? 'fn amax(a: vec4<f32>) -> f32 { let b = abs(a); return max(max(b.x, b.y), max(b.z, b.w)); }' : 'fn amax(a: f32) -> f32 { return abs(a); }';
  const sq = v.vec === 4 ? 'fn sq(a: vec4<f32>) -> f32 { return dot(a, a); }' : 'fn sq(a: f32) -> f32 { return a * a; }';
  const ra = reduceArgs(v.subgroups);
  // A row of zeros with eps = 0 is 0 / 0 = NaN (SPEC.md), chosen explicitly: drivers may not
  // keep NaN through arithmetic (nor form 1 / sqrt(0) = Inf).
  const store = `y[yb + i] = ${VT}(select(h * inv * r * (${V}(weight[u.weightStart + i]) + ${V}(u.weightOffset)), ${V}(qnan), nan_row));`;
  const body =
    v.regs > 0
      ? `
  var hv: array<${V}, ${v.regs}>;
  var m = 0.0;
  for (var k = 0u; k < ${v.regs}u; k++) {
    let i = lid + k * ${v.wg}u;
    if (i < n) {
      let h = ${loadH};
      hv[k] = h;
      ${v.sum ? `hsum[sb + i] = ${VT}(h);` : ''}
      m = max(m, amax(h));
    }
  }
  m = reduce_max(m, ${ra});
  let inv = row_scale(m);
  var ss = 0.0;
  for (var k = 0u; k < ${v.regs}u; k++) {
    let i = lid + k * ${v.wg}u;
    if (i < n) { ss += sq(hv[k] * inv); }
  }
  ss = reduce_sum(ss, ${ra});
  let r = rscale(ss, m, inv);
  let nan_row = m == 0.0 && u.eps == 0.0;
  for (var k = 0u; k < ${v.regs}u; k++) {
    let i = lid + k * ${v.wg}u;
    if (i < n) {
      let h = hv[k];
      ${store}
    }
  }`
      : `
  var m = 0.0;
  for (var i = lid; i < n; i += ${v.wg}u) {
    let h = ${loadH};
    ${v.sum ? `hsum[sb + i] = ${VT}(h);` : ''}
    m = max(m, amax(h));
  }
  m = reduce_max(m, ${ra});
  let inv = row_scale(m);
  var ss = 0.0;
  for (var i = lid; i < n; i += ${v.wg}u) {
    let h = ${loadH};
    ss += sq(h * inv);
  }
  ss = reduce_sum(ss, ${ra});
  let r = rscale(ss, m, inv);
  let nan_row = m == 0.0 && u.eps == 0.0;
  for (var i = lid; i < n; i += ${v.wg}u) {
    let h = ${loadH};
    ${store}
  }`;
  return `${storageHeader(v.dtype, v.subgroups)}
const MAX_F32 = 0x1.fffffep+127f;
${RMSNORM_UNIFORMS.wgsl}
${decl.join('\n')}
${reductions(v.wg, v.subgroups)}
${amax}
${sq}
// The row's scale s: a power of two with m * s in [1, 2) (in [2, 4) at m >= 2^127, in
// (0, 2] for m < 2^-126), always a normal f32, so h * s is exact and neither overflows nor
// underflows (1 / m is subnormal for m > 2^126, which drivers flush to 0). 0 for a row
// holding an Inf (y = h * 0: 0 for finite h, NaN for the Inf, as the reference gives).
fn row_scale(m: f32) -> f32 {
  if (m > MAX_F32) { return 0.0; }
  let eb = i32((bitcast<u32>(m) >> 23u) & 0xffu);
  return bitcast<f32>(u32(clamp(254 - eb, 1, 254)) << 23u);
}
// 1 / (sqrt(mean(h^2) + eps) * s) without forming h^2 (which could overflow or underflow):
// ss is the sum of (h * s)^2, so this is 1 / sqrt(ss / hidden + eps * s^2); the caller
// multiplies h by s itself. eps * s^2 may overflow only where y is below 1e-19 anyway (an
// all-zero row with eps > 0: s = 2^127, r = 0, y = 0; with eps = 0 the caller stores NaN).
fn rscale(ss: f32, m: f32, s: f32) -> f32 {
  if (m > MAX_F32) { return 1.0; }
  return 1.0 / sqrt(ss / u.hidden + u.eps * s * s);
}
${entry(v.wg, v.subgroups)}
  // A quiet NaN from its bits; a let, not a const (WGSL rejects NaN constant expressions).
  let nan_bits = 0x7fc00000u;
  let qnan = bitcast<f32>(nan_bits);
  let row = group;
  if (row >= u.rows) { return; }
  let n = u.rowVectors;
  let xb = u.xStart + row * u.xStride;
  ${v.residual ? 'let rb = u.residualStart + row * u.residualStride;' : ''}
  let yb = u.outStart + row * u.outStride;
  ${v.sum ? 'let sb = u.sumStart + row * u.sumStride;' : ''}
${body}
}
`;
}

export function encodeRmsnorm(ctx: GpuContext, p: RmsnormKernelParams<GpuTensor>): void {
  const L = p.layout;
  const residual = p.residual !== null;
  const sum = p.sum !== null;
  const layouts = [L.x, L.weight, L.out, ...(residual ? [L.residual] : []), ...(sum ? [L.sum] : [])];
  const v = rmsnormVariant(ctx, { hidden: p.hidden, dtype: p.dtype, residual, sum, layouts });
  const pipeline = ctx.pipeline(rmsnormKey(v), () => rmsnormWgsl(v));
  const uniforms = ctx.uniforms(RMSNORM_UNIFORMS, {
    rows: p.rows,
    rowVectors: p.hidden / v.vec,
    hidden: p.hidden,
    eps: p.eps,
    weightOffset: p.weightOffset,
    xStart: L.x.offset / v.vec,
    xStride: L.x.rowStride / v.vec,
    residualStart: residual ? L.residual.offset / v.vec : 0,
    residualStride: residual ? L.residual.rowStride / v.vec : 0,
    weightStart: L.weight.offset / v.vec,
    outStart: L.out.offset / v.vec,
    outStride: L.out.rowStride / v.vec,
    sumStart: sum ? L.sum.offset / v.vec : 0,
    sumStride: sum ? L.sum.rowStride / v.vec : 0,
  });
  const bindings = [p.x];
  if (p.residual) bindings.push(p.residual);
  bindings.push(p.weight, p.out);
  if (p.sum) bindings.push(p.sum);
  ctx.dispatch(pipeline, [...bindings, uniforms], ctx.grid(p.rows), 'rmsnorm');
}
