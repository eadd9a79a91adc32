/**
 * WGSL snippets shared by the kernels: the storage element type (f32, or f16 with f32
 * arithmetic), workgroup reductions (a shared-memory tree, or subgroup reductions plus a
 * short shared-memory pass when the device has subgroups and the `subgroup_id` builtin),
 * and the 2D workgroup grid used to exceed 65535 workgroups per dimension.
 */
import type { DType } from '@llama-ops/core';

/** `enable` directives and `alias T` (the storage element type). */
export function storageHeader(dtype: DType, subgroups = false): string {
  let s = '';
  if (dtype === 'f16') s += 'enable f16;\n';
  if (subgroups) s += 'enable subgroups;\n';
  s += `alias T = ${dtype};\n`;
  return s;
}

/**
 * Entry-point builtins for a 1D workgroup of `wg` threads on a 2D grid of workgroups.
 * Defines `lid` (local index) and `group` (linear workgroup index), plus `sg_id`, `sg_count`,
 * `sg_lane` when `subgroups`.
 */
export function entry(wg: number, subgroups: boolean): string {
  const sg = subgroups ? ', @builtin(subgroup_id) sg_id: u32, @builtin(num_subgroups) sg_count: u32, @builtin(subgroup_invocation_id) sg_lane: u32' : '';
  return `@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>${sg}) {
  let group = wid.x + wid.y * nwg.x;`;
}

/**
 * `reduce_sum(v)` and `reduce_max(v)` over a workgroup of `wg` (a power of two) threads;
 * every thread gets the result. Must be called in uniform control flow. The generated
 * functions take the entry's builtins as arguments.
 */
export function reductions(wg: number, subgroups: boolean): string {
  if (subgroups) {
    // One partial per subgroup, indexed by subgroup_id (no assumption on how invocations
    // map to subgroups), then every thread folds the few partials in the same order.
    return `
var<workgroup> red: array<f32, ${wg}>;
fn reduce_sum(v: f32, sg_id: u32, sg_count: u32, sg_lane: u32) -> f32 {
  let s = subgroupAdd(v);
  if (sg_lane == 0u) { red[sg_id] = s; }
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < sg_count; i++) { t += red[i]; }
  workgroupBarrier();
  return t;
}
fn reduce_max(v: f32, sg_id: u32, sg_count: u32, sg_lane: u32) -> f32 {
  let s = subgroupMax(v);
  if (sg_lane == 0u) { red[sg_id] = s; }
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < sg_count; i++) { t = max(t, red[i]); }
  workgroupBarrier();
  return t;
}`;
  }
  return `
var<workgroup> red: array<f32, ${wg}>;
fn reduce_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduce_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

/** The argument list to pass to `reduce_*` from the entry point. */
export const reduceArgs = (subgroups: boolean): string => (subgroups ? 'sg_id, sg_count, sg_lane' : 'lid');

/** Smallest power of two >= n (n >= 1). */
export function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
