/**
 * Every shader variant compiles into a pipeline on Dawn's validating null backend
 * (real WGSL and pipeline validation, nothing executed), with the spec's default limits
 * for storage buffers per stage and workgroup memory, so a WGSL error never reaches a user.
 */
import { describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { shaderVariants } from '../src/index.js';

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
});
