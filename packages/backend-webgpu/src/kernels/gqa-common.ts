/**
 * WGSL shared by the two attention kernels (flash-attention for prefill, split-KV flash
 * decoding for decode): the parameter block, q/k/v loads as vec4<f32> (from vec4 storage
 * when the head dims are multiples of 4, else four guarded scalar loads so any head dim
 * works), Gemma-2 soft-capping, the additive mask with broadcast, and visibility.
 */
import type { DType, GqaKernelParams } from '@llama-ops/core';
import type { Binding, GpuContext, GpuTensor, UniformField } from '../context.js';

/** Sentinel for "no visible score yet": finite, so no Inf/NaN arithmetic is ever needed. */
export const NEG = '-3.0e38';

export interface GqaCommon {
  dtype: DType;
  headDim: number;
  headDimV: number;
  mask: boolean;
  sinks: boolean;
}

export const commonKey = (v: GqaCommon): string =>
  `${v.dtype}:d${v.headDim}:dv${v.headDimV}:${v.mask ? 'mask' : ''}${v.sinks ? 'sinks' : ''}`;

/** True when q/k/v rows can be read as vec4 (both head dims multiples of 4). */
export const vec4Loads = (v: GqaCommon): boolean => v.headDim % 4 === 0 && v.headDimV % 4 === 0;

/** Buffers an attention shader may bind; the order of a kernel's list is its binding order. */
export type GqaBindingName = 'q' | 'k' | 'v' | 'out' | 'lens' | 'u' | 'mask' | 'sinks' | 'part';

const DECLS: Record<GqaBindingName, (arr: string) => string> = {
  q: (a) => `var<storage, read> q: ${a};`,
  k: (a) => `var<storage, read> k: ${a};`,
  v: (a) => `var<storage, read> v: ${a};`,
  out: () => 'var<storage, read_write> out: array<T>;',
  // [kvLength per batch..., queryOffset per batch...]
  lens: () => 'var<storage, read> lens: array<i32>;',
  u: () => 'var<uniform> u: Params;',
  mask: () => 'var<storage, read> mask: array<T>;',
  sinks: () => 'var<storage, read> sinks: array<T>;',
  // Split-KV partials: o [groups, R, DV4] then (m, l, -, -) [groups, R] from u.ml_base.
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
 * Declarations of `names` (binding i = names[i]) and the helpers `load_q/load_k/load_v(row,
 * c4)` (row = element offset / head dim), `cap()`, `mask_at()`, `visible()`, `sink_of()`.
 */
export function gqaPrelude(v: GqaCommon, names: readonly GqaBindingName[]): string {
  const vec = vec4Loads(v);
  const D4 = Math.ceil(v.headDim / 4);
  const DV4 = Math.ceil(v.headDimV / 4);
  const arr = vec ? 'array<vec4<T>>' : 'array<T>';
  const load = (name: string, dim: number, d4: number) =>
    !names.includes(name as GqaBindingName)
      ? ''
      : vec
        ? `fn load_${name}(row: u32, c: u32) -> vec4<f32> { return vec4<f32>(${name}[row * ${d4}u + c]); }`
        : `fn load_${name}(row: u32, c: u32) -> vec4<f32> {
  let o = row * ${dim}u + c * 4u;
  var r = vec4<f32>(0.0);
  for (var e = 0u; e < 4u; e++) { if (c * 4u + e < ${dim}u) { r[e] = f32(${name}[o + e]); } }
  return r;
}`;
  const decls = names.map((n, i) => `@group(0) @binding(${i}) ${DECLS[n](arr)}`).join('\n');
  const hasMask = names.includes('mask');
  const hasSinks = names.includes('sinks');
  return `${v.dtype === 'f16' ? 'enable f16;\n' : ''}alias T = ${v.dtype};
const D = ${v.headDim}u;
const DV = ${v.headDimV}u;
const D4 = ${D4}u;
const DV4 = ${DV4}u;
const NEG = ${NEG};
struct Params {
  batch: u32, seq_q: u32, seq_kv: u32, hq: u32,
  hkv: u32, group: u32, scale: f32, causal: u32,
  window: i32, softcap: f32, mask_b: u32, mask_h: u32,
  a: u32, b: u32, c: u32, groups: u32,
  ml_base: u32, d4: u32, pad1: u32, pad2: u32,
};
${decls}
${load('q', v.headDim, D4)}
${load('k', v.headDim, D4)}
${load('v', v.headDimV, DV4)}
// tanh from exp(-2|x|): never Inf/Inf, unlike exp(2x)-based tanh on some drivers.
fn cap(s: f32) -> f32 {
  if (u.softcap == 0.0) { return s; }
  let x = s / u.softcap;
  let a = abs(x);
  let e = exp(-2.0 * a);
  let t = select((1.0 - e) / (1.0 + e), a - a * a * a / 3.0, a < 0.004);
  return u.softcap * sign(x) * t;
}
fn mask_at(b: u32, h: u32, i: u32, j: u32) -> f32 {
  ${hasMask ? 'return f32(mask[b * u.mask_b + h * u.mask_h + i * u.seq_kv + j]);' : 'return 0.0;'}
}
// max that keeps a NaN (WGSL's max may drop it) and ignores -Inf (a masked key).
fn nmax(a: f32, b: f32) -> f32 { return select(a, b, !(b <= a) && a == a); }
// Key j (already < the batch's kvLength) is visible from absolute position p.
fn visible(p: i32, j: u32) -> bool {
  let jj = i32(j);
  return (u.causal == 0u || jj <= p) && (u.window == 0 || jj > p - u.window);
}
fn sink_of(h: u32) -> f32 {
  ${hasSinks ? 'return f32(sinks[h]);' : 'return NEG;'}
}
`;
}

/** The uniform block of {@link gqaPrelude}; `a`, `b`, `c`, `groups` are kernel-specific. */
export function gqaUniforms(p: GqaKernelParams<GpuTensor>, a: number, b: number, c: number, groups: number, mlBase = 0): UniformField[] {
  return [
    ['u', p.batch],
    ['u', p.seqQ],
    ['u', p.seqKV],
    ['u', p.headsQ],
    ['u', p.headsKV],
    ['u', p.headsQ / p.headsKV],
    ['f', p.scale],
    ['u', p.causal ? 1 : 0],
    ['i', p.window],
    ['f', p.softcap],
    ['u', p.maskBatch === 1 ? 0 : p.maskHeads * p.seqQ * p.seqKV],
    ['u', p.maskHeads === 1 ? 0 : p.seqQ * p.seqKV],
    ['u', a],
    ['u', b],
    ['u', c],
    ['u', groups],
    ['u', mlBase],
    // D4 as a run-time value, for loops a kernel wants kept as loops.
    ['u', Math.ceil(p.headDim / 4)],
    ['u', 0],
    ['u', 0],
  ];
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
