/**
 * Every kernel's uniform struct agrees with its writer on a real driver: a probe shader
 * declares the layout's struct exactly as the kernels do, reads every member (each vector
 * component) and stores its bits; decoded, each must be the value passed to the writer
 * under that member's name. So the WGSL compiler's offsets are the writer's offsets, for
 * every layout the kernels use (taken from the shader variant list, so a new kernel is
 * covered) and for a layout mixing every member type and alignment.
 */
import type { Backend } from '@llama-ops/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackend, webgpuKernelsOf } from '../src/index.js';
import { kernelShaders } from '../src/kernels/variants.js';
import type { UniformLayout, UniformMember } from '../src/uniforms.js';
import { MIXED } from './mixed-uniforms.js';

/** A value for each member, distinct across members and components (and normal floats). */
function probeValues(layout: UniformLayout): Record<string, number | number[]> {
  const values: Record<string, number | number[]> = {};
  layout.members.forEach((m, i) => {
    const component = (c: number): number =>
      m.scalar === 'u32' ? 0x01000000 * (i + 1) + 0x101 * (c + 1) : m.scalar === 'i32' ? -(1000 * (i + 1) + c + 1) : (i + 1) * 1.25 + c * 0.5;
    values[m.name] = m.components === 1 ? component(0) : Array.from({ length: m.components }, (_, c) => component(c));
  });
  return values;
}

/** A shader writing the bits of every component of every member, in member order. */
function probeWgsl(layout: UniformLayout): string {
  const stores: string[] = [];
  let slot = 0;
  const bits = (m: UniformMember): string => (m.components === 1 ? `bitcast<u32>(u.${m.name})` : `bitcast<vec${m.components}<u32>>(u.${m.name})`);
  for (const m of layout.members) {
    if (m.components === 1) stores.push(`  out[${slot++}u] = ${bits(m)};`);
    else for (let c = 0; c < m.components; c++) stores.push(`  out[${slot++}u] = ${bits(m)}[${c}];`);
  }
  return `${layout.wgsl}
@group(0) @binding(0) var<uniform> u: ${layout.name};
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
${stores.join('\n')}
}
`;
}

export function uniformLayoutSuite(): void {
  let be: Backend;
  beforeAll(async () => {
    be = await createBackend();
  }, 60_000);
  afterAll(() => be?.dispose());

  // Each kernel layout, named by the first shader key that declares it (rmsnorm, rope, ...).
  const byLayout = new Map<UniformLayout, string>();
  for (const s of kernelShaders()) if (!byLayout.has(s.uniforms)) byLayout.set(s.uniforms, s.key.split(':')[0]);
  const layouts: Array<[string, UniformLayout]> = [
    ...[...byLayout].map(([l, name]) => [name, l] as [string, UniformLayout]),
    ['mixed scalars and vec2/vec3/vec4', MIXED],
  ];

  it('covers every kernel layout', () => {
    expect([...byLayout.values()].sort()).toEqual(['copy', 'flash-attention', 'flash-combine', 'flash-decoding', 'rmsnorm', 'rope']);
  });

  it.each(layouts)('uniform struct and writer agree on a real driver: %s', async (_name, layout) => {
    const ctx = webgpuKernelsOf(be)!.ctx;
    const components = layout.members.reduce((n, m) => n + m.components, 0);
    const values = probeValues(layout);
    const pipeline = ctx.pipeline(`uniform-probe:${layout.wgsl}`, () => probeWgsl(layout));
    const out = ctx.scratch(components * 4);
    ctx.dispatch(pipeline, [ctx.uniforms(layout, values as never), out], [1]);
    const got = new Uint32Array(await ctx.readBytes(out, components * 4, 'test'));
    // What the shader read as u.<name>, decoded by type, against the value passed as <name>.
    const bits = new DataView(got.buffer);
    const read: Record<string, number | number[]> = {};
    let slot = 0;
    for (const m of layout.members) {
      const decode = (): number => {
        const at = 4 * slot++;
        return m.scalar === 'u32' ? bits.getUint32(at, true) : m.scalar === 'i32' ? bits.getInt32(at, true) : bits.getFloat32(at, true);
      };
      read[m.name] = m.components === 1 ? decode() : Array.from({ length: m.components }, decode);
    }
    expect(read).toEqual(values);
  });
}
