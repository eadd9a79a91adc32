/**
 * `@llama-ops/backend-webgpu`: WGSL kernels for RMSNorm (and fused add + RMSNorm), RoPE
 * and grouped-query attention (flash attention for prefill, split-KV flash decoding for
 * decode), with f16 storage on adapters with `shader-f16`. Works in browsers
 * (`navigator.gpu`) and in Node with the optional `webgpu` package (Dawn).
 *
 * @packageDocumentation
 */
export { createBackend, webgpuKernelsOf, WebGpuKernels, type WebGpuBackendOptions } from './backend.js';
export type { DeviceOptions } from './device.js';
export type { PoolStats } from './buffer-pool.js';
export type { GpuTensor } from './context.js';
export { timeGpu, type GpuTiming } from './timing.js';
export { gqaKernelFor } from './kernels/gqa.js';
export { shaderVariants, type ShaderVariant } from './kernels/variants.js';
