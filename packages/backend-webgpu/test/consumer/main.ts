// A consumer of the published declarations (dist/index.d.ts), type-checked by
// test/types.test.ts with skipLibCheck: false. Not run.
import { gqa, rmsnorm, type Tensor } from '@llama-ops/core';
import { createBackend, flush } from '@llama-ops/backend-webgpu';

export async function handOver(device: GPUDevice, packedQkv: GPUBuffer): Promise<[GPUBuffer | undefined, number | undefined]> {
  const be = await createBackend({ device, gqaKernel: 'auto' });
  // fromGPUBuffer takes a GPUBuffer, and tensor.gpuBuffer is one: core's handle is augmented.
  const qkv: Tensor = be.fromGPUBuffer(packedQkv, [1, 4, 64], { offset: 256 });
  const q = be.view(qkv, { shape: [1, 4, 2, 16], offset: 0, rowStride: 64 });
  const k = be.view(qkv, { shape: [1, 4, 1, 16], offset: 32, rowStride: 64 });
  const v = be.view(qkv, { shape: [1, 4, 1, 16], offset: 48, rowStride: 64 });
  const o = gqa(q, k, v);
  const y = rmsnorm(be.view(o, { shape: [4, 32] }), be.tensor(new Float32Array(32).fill(1), [32]));
  const buffer: GPUBuffer | undefined = y.gpuBuffer;
  const usage: number | undefined = y.gpuBuffer?.usage;
  flush(be);
  // @ts-expect-error a plain object is not a GPUBuffer
  be.fromGPUBuffer({}, [4]);
  return [buffer, usage === undefined ? undefined : y.gpuOffset];
}
