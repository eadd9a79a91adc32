/**
 * WGSL shared by the two attention kernels (flash-attention for prefill, split-KV flash
 * decoding for decode): the uniform members every attention shader has
 * ({@link GQA_COMMON_UNIFORMS}, first in each kernel's own layout, which adds its members
 * after them), q/k/v loads as vec4<f32> (from vec4 storage when the head dims and the
 * operands' element offsets and row strides are multiples of 4, else four guarded scalar
 * loads so any head dim and any view works), Gemma-2 soft-capping, the additive mask with
 * broadcast, visibility, and the numerics at the edges of f32 both kernels share (SPEC.md
 * "Range and special values": 2^-32-scaled softmax weights, mask values <= -1e30 as -Inf,
 * softcaps of at least 2^-100, outputs kept within the storage type's finite range).
 *
 * Views: q, k, v and out are whole buffers; token t, head h of q starts at element
 * `qStart + t * qStride + h * D` (in vec4s on the vec4 path), as core's `OperandLayout` says,
 * so q, k and v may be views of one packed QKV projection without a copy.
 */
import type { DType, GqaKernelParams } from '@llama-ops/core';
import type { Binding, GpuContext, GpuTensor } from '../context.js';
import type { UniformLayout, UniformSchema, UniformValues } from '../uniforms.js';

/** Sentinel for "no visible score yet": finite, so no Inf/NaN arithmetic is ever needed. */
export const NEG = '-3.0e38';

/**
 * Softmax weights are kept 2^-32 times smaller than exp(s - m) (SPEC.md "Range and special
 * values"): a weight is at most e^RESCALE · 2^-32, so Σ p·v over up to ~10^6 keys stays below
 * max|v| and values up to f32's max do not overflow before the division by Σ p, which is
 * scaled alike (and >= 2^-32: the key that set the max has p >= 2^-32). A power of two: the
 * product is exact, one multiply per score, never per value element.
 */
export const SOFTMAX_LOW = '0x1p-32f';

/**
 * Softcaps below this (2^-100) are applied as this: f32 holds no cap under 1.4e-45 (1e-46
 * would round to 0, "no softcap") and drivers may flush caps under 1.2e-38 (subnormal) to 0.
 * Capped scores then lie within ±cap of each other either way, which moves no softmax
 * weight by more than 2^-99 relative: the same f32 result as the exact cap. (As backend-wasm.)
 */
export const MIN_SOFTCAP = 2 ** -100;
/** Caps above f32's max would be Inf in the uniform (s / Inf · Inf = NaN): at f32's max a cap changes no f32 score. */
const MAX_SOFTCAP = 3.4028234663852886e38;

/** The softcap as the shader's uniform holds it: 0 is "none"; any cap > 0 stays > 0 and finite in f32. */
export function softcapUniform(softcap: number): number {
  return softcap > 0 ? Math.min(Math.max(softcap, MIN_SOFTCAP), MAX_SOFTCAP) : 0;
}

/** The largest finite value of a storage type, as a WGSL f32 literal. */
export const storageMax = (dtype: DType): string => (dtype === 'f16' ? '65504.0' : '0x1.fffffep+127f');

/**
 * Uniform members of every attention shader (the prelude's helpers read them), first in
 * each kernel's layout: `defineUniforms('Params', { ...GQA_COMMON_UNIFORMS, ... })`.
 */
export const GQA_COMMON_UNIFORMS = {
  batch: 'u32',
  seqQ: 'u32',
  seqKV: 'u32',
  headsKV: 'u32',
  /** headsQ / headsKV. */
  group: 'u32',
  scale: 'f32',
  /** 1: causal. */
  causal: 'u32',
  window: 'i32',
  softcap: 'f32',
  /** Mask elements from one batch to the next (0: broadcast over batch). */
  maskBatchStride: 'u32',
  /** Mask elements from one head to the next (0: broadcast over heads). */
  maskHeadStride: 'u32',
  // Where q, k, v and out lie: token t starts at <name>Start + t * <name>Stride, in vec4s for
  // q/k/v on the vec4 path (elements otherwise), in elements for out.
  qStart: 'u32',
  qStride: 'u32',
  kStart: 'u32',
  kStride: 'u32',
  vStart: 'u32',
  vStride: 'u32',
  outStart: 'u32',
  outStride: 'u32',
  /** Element offsets of the mask and the sinks. */
  maskStart: 'u32',
  sinksStart: 'u32',
} as const satisfies UniformSchema;

/** The values of {@link GQA_COMMON_UNIFORMS} for a call. */
export function gqaCommonUniforms(p: GqaKernelParams<GpuTensor>, v: GqaCommon): UniformValues<typeof GQA_COMMON_UNIFORMS> {
  const L = p.layout;
  const w = v.vec4 ? 4 : 1;
  return {
    batch: p.batch,
    seqQ: p.seqQ,
    seqKV: p.seqKV,
    headsKV: p.headsKV,
    group: p.headsQ / p.headsKV,
    scale: p.scale,
    causal: p.causal ? 1 : 0,
    window: p.window,
    softcap: softcapUniform(p.softcap),
    maskBatchStride: p.maskBatch === 1 ? 0 : p.maskHeads * p.seqQ * p.seqKV,
    maskHeadStride: p.maskHeads === 1 ? 0 : p.seqQ * p.seqKV,
    qStart: L.q.offset / w,
    qStride: L.q.rowStride / w,
    kStart: L.k.offset / w,
    kStride: L.k.rowStride / w,
    vStart: L.v.offset / w,
    vStride: L.v.rowStride / w,
    outStart: L.out.offset,
    outStride: L.out.rowStride,
    maskStart: p.mask ? L.mask.offset : 0,
    sinksStart: p.sinks ? L.sinks.offset : 0,
  };
}

export interface GqaCommon {
  dtype: DType;
  headDim: number;
  headDimV: number;
  mask: boolean;
  sinks: boolean;
  /** q/k/v are read as vec4 storage (see {@link vec4Loads}); else four guarded scalar loads. */
  vec4: boolean;
}

export const commonKey = (v: GqaCommon): string =>
  `${v.dtype}:d${v.headDim}:dv${v.headDimV}:${v.vec4 ? 'v4' : 's'}:${v.mask ? 'mask' : ''}${v.sinks ? 'sinks' : ''}`;

/**
 * True when q/k/v can be read as vec4 storage: both head dims, and every element offset and
 * row stride of q, k and v, are multiples of 4 (a vec4 of storage never straddles a token).
 */
export function vec4Loads(p: Pick<GqaKernelParams<unknown>, 'headDim' | 'headDimV' | 'layout'>): boolean {
  const L = p.layout;
  return p.headDim % 4 === 0 && p.headDimV % 4 === 0 && [L.q, L.k, L.v].every((l) => l.offset % 4 === 0 && l.rowStride % 4 === 0);
}

/** The shader-changing facts of a call. */
export function gqaCommon(p: GqaKernelParams<GpuTensor>): GqaCommon {
  return { dtype: p.dtype, headDim: p.headDim, headDimV: p.headDimV, mask: p.mask !== null, sinks: p.sinks !== null, vec4: vec4Loads(p) };
}

/** Buffers an attention shader may bind; the order of a kernel's list is its binding order. */
export type GqaBindingName = 'q' | 'k' | 'v' | 'out' | 'lens' | 'u' | 'mask' | 'sinks' | 'part';

const DECLS: Record<GqaBindingName, (arr: string, params: string) => string> = {
  q: (a) => `var<storage, read> q: ${a};`,
  k: (a) => `var<storage, read> k: ${a};`,
  v: (a) => `var<storage, read> v: ${a};`,
  out: () => 'var<storage, read_write> out: array<T>;',
  // [kvLength per batch..., queryOffset per batch...]
  lens: () => 'var<storage, read> lens: array<i32>;',
  u: (_, params) => `var<uniform> u: ${params};`,
  mask: () => 'var<storage, read> mask: array<T>;',
  sinks: () => 'var<storage, read> sinks: array<T>;',
  // Split-KV partials: o [workgroups, R, DV4] then (m, l, -, -) [workgroups, R] from u.mlOffset.
  part: () => 'var<storage, read_write> part: array<vec4<f32>>;',
};

/** The binding names a kernel uses, without mask/sinks when the variant has none. */
export function gqaBindingNames(v: GqaCommon, names: readonly GqaBindingName[]): GqaBindingName[] {
  return names.filter((n) => (n !== 'mask' || v.mask) && (n !== 'sinks' || v.sinks));
}

/** Buffers in the order of `names`. */
export function gqaBindings(names: readonly GqaBindingName[], buffers: Partial<Record<GqaBindingName, Binding | null>>): Binding[] {
  return names.map((n) => {
    const b = buffers[n];
    if (!b) throw new Error(`gqa: missing binding ${n}`);
    return b;
  });
}

/**
 * The `uniforms` struct, declarations of `names` (binding i = names[i]) and the helpers
 * `q_row/k_row/v_row(token, head)` (token = batch * seq + position: where that head's vector
 * starts, in load units), `load_q/load_k/load_v(row, c4)`, `out_at(token, head)`, `cap()`,
 * `mask_at()`, `visible()`, `sink_of()`. `uniforms` starts with {@link GQA_COMMON_UNIFORMS}.
 */
export function gqaPrelude<S extends typeof GQA_COMMON_UNIFORMS>(v: GqaCommon, names: readonly GqaBindingName[], uniforms: UniformLayout<S>): string {
  const vec = v.vec4;
  const D4 = Math.ceil(v.headDim / 4);
  const DV4 = Math.ceil(v.headDimV / 4);
  const arr = vec ? 'array<vec4<T>>' : 'array<T>';
  // <name>_row is computed once per (token, head) by the kernels, outside their inner loops.
  const load = (name: string, dim: number, d4: number) =>
    !names.includes(name as GqaBindingName)
      ? ''
      : `fn ${name}_row(tok: u32, head: u32) -> u32 { return u.${name}Start + tok * u.${name}Stride + head * ${vec ? d4 : dim}u; }
${
  vec
    ? `fn load_${name}(row: u32, c: u32) -> vec4<f32> { return vec4<f32>(${name}[row + c]); }`
    : `fn load_${name}(row: u32, c: u32) -> vec4<f32> {
  let o = row + c * 4u;
  var r = vec4<f32>(0.0);
  for (var e = 0u; e < 4u; e++) { if (c * 4u + e < ${dim}u) { r[e] = f32(${name}[o + e]); } }
  return r;
}`
}`;
  const decls = names.map((n, i) => `@group(0) @binding(${i}) ${DECLS[n](arr, uniforms.name)}`).join('\n');
  const hasMask = names.includes('mask');
  const hasSinks = names.includes('sinks');
  return `${v.dtype === 'f16' ? 'enable f16;\n' : ''}alias T = ${v.dtype};
const D = ${v.headDim}u;
const DV = ${v.headDimV}u;
const D4 = ${D4}u;
const DV4 = ${DV4}u;
const NEG = ${NEG};
const LOW = ${SOFTMAX_LOW};
const TMAX = ${storageMax(v.dtype)};
${uniforms.wgsl}
${decls}
${load('q', v.headDim, D4)}
${load('k', v.headDim, D4)}
${load('v', v.headDimV, DV4)}
// Element index of (token, head)'s first output value.
fn out_at(tok: u32, head: u32) -> u32 { return u.outStart + tok * u.outStride + head * DV; }
// tanh from exp(-2|x|): never Inf/Inf, unlike exp(2x)-based tanh on some drivers.
fn cap(s: f32) -> f32 {
  if (u.softcap == 0.0) { return s; }
  let x = s / u.softcap;
  let a = abs(x);
  let e = exp(-2.0 * a);
  let t = select((1.0 - e) / (1.0 + e), a - a * a * a / 3.0, a < 0.004);
  return u.softcap * sign(x) * t;
}
// Mask values <= -1e30 are -Inf (SPEC.md: masked, as PyTorch's finfo.min fill means); -Inf is
// formed at run time (mask * 2^100 overflows), as WGSL has no infinite constants.
fn mask_at(b: u32, h: u32, i: u32, j: u32) -> f32 {
  ${
    hasMask
      ? `let m = f32(mask[u.maskStart + b * u.maskBatchStride + h * u.maskHeadStride + i * u.seqKV + j]);
  return select(m, m * 0x1p100f, m <= -1e30);`
      : 'return 0.0;'
  }
}
// max that keeps a NaN (WGSL's max may drop it) and ignores -Inf (a masked key).
fn nmax(a: f32, b: f32) -> f32 { return select(a, b, !(b <= a) && a == a); }
// Key j (already < the batch's kvLength) is visible from absolute position p.
fn visible(p: i32, j: u32) -> bool {
  let jj = i32(j);
  return (u.causal == 0u || jj <= p) && (u.window == 0 || jj > p - u.window);
}
// o / l (o = Σ p·v, l = Σ p, both 2^-32 smaller) into the storage type's finite range where o is
// finite: the exact output is a weighted mean of finite values, so only rounding can take a
// value at f32's (or f16's) max past it. Inf and NaN (from Inf/NaN inputs) pass unchanged.
fn finish(o: vec4<f32>, inv: f32) -> vec4<f32> {
  let r = o * inv;
  return select(r, clamp(r, vec4<f32>(-TMAX), vec4<f32>(TMAX)), abs(o) <= vec4<f32>(0x1.fffffep+127f));
}
fn sink_of(h: u32) -> f32 {
  ${hasSinks ? 'return f32(sinks[u.sinksStart + h]);' : 'return NEG;'}
}
`;
}

/** The per-batch kvLength/queryOffset buffer. */
export function gqaMeta(ctx: GpuContext, p: GqaKernelParams<GpuTensor>): GPUBuffer {
  const meta = new Int32Array(2 * p.batch);
  meta.set(p.kvLength, 0);
  meta.set(p.queryOffset, p.batch);
  return ctx.scratch(meta.byteLength, meta);
}

/**
 * The key range `[lo, hi)` any query of batch `b` can see (tile skipping happens on
 * the device too; this bounds the split-KV grid on the host).
 */
export function keyRange(p: GqaKernelParams<GpuTensor>, b: number): [number, number] {
  const first = p.queryOffset[b];
  const last = first + p.seqQ - 1;
  let hi = p.kvLength[b];
  if (p.causal) hi = Math.min(hi, Math.max(0, last + 1));
  const lo = p.window > 0 ? Math.max(0, first - p.window + 1) : 0;
  return [lo, Math.max(lo, hi)];
}
