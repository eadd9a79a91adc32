/**
 * `@llama-ops/core`: the op API (`rmsnorm`, `addRmsnorm`, `rope`, `gqa`), tensors, the
 * KV cache, typed errors and the backend registry. It contains no kernels: install one
 * backend package (`@llama-ops/backend-cpu`, `-wasm` or `-webgpu`) next to it.
 *
 * @packageDocumentation
 */
export { Backend, defineBackend, type GpuBufferOptions, type MemoryInfo, type TensorOptions, type ViewOptions } from './backend.js';
export { Tensor, isTensor, rowLength, type TensorMemory } from './tensor.js';
export type {
  BackendCapabilities,
  CopyKernelParams,
  DType,
  GpuBufferHandle,
  GqaKernelParams,
  KernelBackend,
  OperandLayout,
  StorageRegion,
  RmsnormKernelParams,
  RopeKernelParams,
  RopeTable,
} from './kernels.js';
export {
  BackendMismatchError,
  BackendUnavailableError,
  CapacityError,
  DTypeError,
  DeviceLostError,
  DisposedError,
  LlamaOpsError,
  ShapeError,
  UnsupportedError,
  ValueError,
  type BackendAttempt,
  type ErrorCode,
  type ErrorDetails,
} from './errors.js';
export {
  addRmsnorm,
  rmsnorm,
  DEFAULT_RMSNORM_EPS,
  type AddRmsnormOptions,
  type AddRmsnormResult,
  type RmsnormOptions,
  type RmsnormWithResidualOptions,
} from './ops/rmsnorm.js';
export { rope, DEFAULT_ROPE_THETA, MAX_ROPE_POSITION, type RopeOptions } from './ops/rope.js';
export { gqa, type GqaOptions } from './ops/gqa.js';
export {
  checkRopeScaling,
  ropeFrequencies,
  type RopeFrequencies,
  type RopeScaling,
  type RopeScalingDefault,
  type RopeScalingDynamic,
  type RopeScalingLinear,
  type RopeScalingLlama3,
  type RopeScalingLongrope,
  type RopeScalingType,
  type RopeScalingYarn,
} from './rope/scaling.js';
export { ropeTableForPositions, ropeTableForRange } from './rope/table.js';
export { createKVCache, type KVCache, type KVCacheOptions } from './kv-cache.js';
export {
  BUILTIN_BACKENDS,
  backendCandidates,
  backendPackageName,
  createBackend,
  listBackends,
  registerBackend,
  selectBackend,
  unregisterBackend,
  type BackendFactory,
  type BackendPackage,
  type BackendRequest,
  type BackendSelection,
  type BackendStatus,
  type BuiltinBackend,
  type BuiltinBackendName,
  type RegisterBackendOptions,
} from './registry.js';
export { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Array, toFloat16Array } from './float16.js';
export { checkBackendOptions, formatShape, shapeSize } from './validation.js';
