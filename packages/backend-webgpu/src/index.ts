/**
 * `@llama-ops/backend-webgpu`: WGSL kernels for RMSNorm (and fused add + RMSNorm), RoPE
 * and grouped-query attention (flash attention for prefill, split-KV flash decoding for
 * decode), with f16 storage on adapters with `shader-f16`. Works in browsers
 * (`navigator.gpu`) and in Node with the optional `webgpu` package (Dawn).
 *
 * @packageDocumentation
 */
export { createBackend, flush, webgpuKernelsOf, WebGpuKernels, type WebGpuBackendOptions } from './backend.js';
export type { DeviceOptions } from './device.js';
export type { PoolStats } from './buffer-pool.js';
export type { GpuTensor } from './context.js';
export { timeGpu, type GpuTiming } from './timing.js';
export { gqaKernelFor } from './kernels/gqa.js';
export { shaderVariants, type ShaderVariant } from './kernels/variants.js';

declare module '@llama-ops/core' {
  /**
   * With this package's types loaded, core's opaque GPU buffer handle is WebGPU's `GPUBuffer`:
   * `tensor.gpuBuffer` is a `GPUBuffer | undefined` and `backend.fromGPUBuffer()` takes one.
   */
  interface GpuBufferHandle extends GPUBuffer {}
}
