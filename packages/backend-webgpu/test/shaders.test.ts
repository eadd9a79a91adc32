/**
 * Every shader variant compiles into a pipeline on Dawn's validating null backend
 * (real WGSL and pipeline validation, nothing executed), with the spec's default limits
 * for storage buffers per stage and workgroup memory, so a WGSL error never reaches a user.
 */
import { describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { shaderVariants } from '../src/index.js';
import { GQA_COMMON_UNIFORMS } from '../src/kernels/gqa-common.js';
import { kernelShaders } from '../src/kernels/variants.js';
import type { UniformLayout } from '../src/uniforms.js';

Object.assign(globalThis, globals);

describe('WGSL validation (Dawn null backend)', () => {
  it('compiles every variant without errors', async () => {
    const gpu = create(['backend=null']);
    const adapter = await gpu.requestAdapter();
    expect(adapter).not.toBeNull();
    // Only what the shaders need: default limits (8 storage buffers, 16 KiB workgroup memory).
    const device = await adapter!.requestDevice({ requiredFeatures: ['shader-f16', 'subgroups'] });
    const variants = shaderVariants();
    expect(variants.length).toBeGreaterThan(500);
    const failures: string[] = [];
    for (const v of variants) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code: v.code, label: v.key });
      const info = await module.getCompilationInfo();
      device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const err = await device.popErrorScope();
      const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      if (err || msgs.length > 0) failures.push(`${v.key}: ${err?.message ?? ''} ${msgs.join('; ')}`);
    }
    expect(failures).toEqual([]);
    device.destroy();
  });

  it('every shader declares its layout\'s uniform struct, and every member is read by a shader', () => {
    const shaders = kernelShaders();
    expect(shaders.map((v) => v.key)).toEqual(shaderVariants().map((v) => v.key));
    const problems: string[] = [];
    const reads = new Map<UniformLayout, Set<string>>();
    for (const v of shaders) {
      const L = v.uniforms;
      // The one struct and the one uniform variable come from the layout (no hand-written copy).
      if (v.code.split(L.wgsl).length !== 2) problems.push(`${v.key}: does not declare ${L.name} from its layout exactly once`);
      if ((v.code.match(/\bstruct\s/g) ?? []).length !== 1) problems.push(`${v.key}: declares a struct other than its layout's`);
      const uniformVars = v.code.match(/var<uniform>\s*\w+\s*:\s*\w+/g) ?? [];
      if (uniformVars.length !== 1 || !uniformVars[0].endsWith(`: ${L.name}`)) problems.push(`${v.key}: uniform variables ${JSON.stringify(uniformVars)}`);
      const read = reads.get(L) ?? new Set<string>();
      for (const m of v.code.matchAll(/\bu\.(\w+)/g)) read.add(m[1]);
      reads.set(L, read);
    }
    // A member no shader reads is a value written for nothing (or a WGSL use forgotten).
    // The attention layouts share GQA_COMMON_UNIFORMS for the common prelude, whose helpers
    // not every pass calls: those members need a reader among all attention shaders.
    const common = new Set(Object.keys(GQA_COMMON_UNIFORMS));
    const attention = [...reads].filter(([L]) => [...common].every((n) => L.members.some((m) => m.name === n)));
    const readByAttention = new Set(attention.flatMap(([, r]) => [...r]));
    for (const [L, read] of reads) {
      const isAttention = attention.some(([a]) => a === L);
      for (const m of L.members) {
        if (!read.has(m.name) && !(isAttention && common.has(m.name) && readByAttention.has(m.name))) {
          problems.push(`${L.members.map((x) => x.name).join(',')}: member ${m.name} is never read`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
