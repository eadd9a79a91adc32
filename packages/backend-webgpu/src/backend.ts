/**
 * The WebGPU implementation of core's `KernelBackend`: tensors are pooled GPU buffers,
 * ops only encode work into the shared command stream (context.ts), `read` is the one
 * readback and `sync` waits for the queue.
 */
import {
  UnsupportedError,
  defineBackend,
  toFloat16Array,
  fromFloat16Array,
  type Backend,
  type BackendCapabilities,
  type CopyKernelParams,
  type DType,
  type GqaKernelParams,
  type KernelBackend,
  type RmsnormKernelParams,
  type RopeKernelParams,
} from '@llama-ops/core';
import type { PoolStats } from './buffer-pool.js';
import { GpuContext, bindBytes, bytesPerElement, type GpuTensor } from './context.js';
import { acquireDevice, type DeviceOptions } from './device.js';
import { encodeCopy } from './kernels/copy.js';
import { encodeGqa } from './kernels/gqa.js';
import { encodeRmsnorm } from './kernels/rmsnorm.js';
import { RopeTableCache, encodeRope } from './kernels/rope.js';

/** Options of {@link createBackend}. */
export interface WebGpuBackendOptions extends DeviceOptions {
  /** Use subgroup reductions when the device has them (default true). */
  subgroups?: boolean;
  /** Offer f16 storage when the device has `shader-f16` (default true). */
  f16?: boolean;
  /**
   * Attention kernel choice (default `'auto'`: split-KV flash decoding for up to 8 query
   * rows per KV head, flash attention otherwise). For tests and benchmarks.
   */
  gqaKernel?: 'auto' | 'flash-attention' | 'flash-decoding';
  /** Bytes of freed buffers the pool keeps for reuse (default 256 MiB). */
  poolBytes?: number;
}

export class WebGpuKernels implements KernelBackend<GpuTensor> {
  readonly name = 'webgpu';
  readonly ctx: GpuContext;
  readonly #owned: boolean;
  readonly #tables: RopeTableCache;
  readonly #gqaKernel: 'auto' | 'flash-attention' | 'flash-decoding';
  readonly #base: Omit<BackendCapabilities, 'lost'>;
  #disposed = false;

  constructor(ctx: GpuContext, base: Omit<BackendCapabilities, 'lost'>, owned: boolean, gqaKernel: WebGpuKernels['gqaKernel']) {
    this.ctx = ctx;
    this.#base = base;
    this.#owned = owned;
    this.#tables = new RopeTableCache(ctx);
    this.#gqaKernel = gqaKernel;
  }

  get gqaKernel(): 'auto' | 'flash-attention' | 'flash-decoding' {
    return this.#gqaKernel;
  }

  get capabilities(): BackendCapabilities {
    return { ...this.#base, lost: this.ctx.lost };
  }

  /** Bytes in live tensors versus bytes of GPU buffers held. */
  get memory(): PoolStats {
    return { ...this.ctx.pool.stats };
  }

  // Read at call time: GPUBufferUsage is a global only once a WebGPU implementation loaded.
  #usage(): number {
    return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  }

  #create(size: number, dtype: DType, op: string): { tensor: GpuTensor; fresh: boolean } {
    this.ctx.checkLive(op);
    const bytes = bindBytes(size, dtype);
    const max = Math.min(this.ctx.limits.maxStorageBufferBindingSize, this.ctx.limits.maxBufferSize);
    if (bytes > max) {
      throw new UnsupportedError({
        op,
        argument: 'size',
        expected: `at most ${Math.floor(max / bytesPerElement(dtype))} ${dtype} elements (${max} bytes: this device's maxStorageBufferBindingSize)`,
        actual: `${size} elements (${bytes} bytes)`,
        hint: 'split the tensor (e.g. run fewer rows or a smaller KV cache per call)',
      });
    }
    const { buffer, fresh } = this.ctx.pool.acquire(bytes, this.#usage(), `tensor:${dtype}[${size}]`);
    return { tensor: { buffer, size, dtype, bytes, freed: false }, fresh };
  }

  upload(data: Float32Array, dtype: DType): GpuTensor {
    const { tensor } = this.#create(data.length, dtype, 'backend.tensor');
    if (dtype === 'f16') {
      const bits = toFloat16Array(data);
      const padded = bits.length % 2 === 0 ? bits : Uint16Array.from({ length: bits.length + 1 }, (_, i) => bits[i] ?? 0);
      this.ctx.device.queue.writeBuffer(tensor.buffer, 0, padded.buffer, padded.byteOffset, padded.byteLength);
    } else {
      this.ctx.device.queue.writeBuffer(tensor.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return tensor;
  }

  allocate(size: number, dtype: DType): GpuTensor {
    const { tensor, fresh } = this.#create(size, dtype, 'backend.empty');
    // New buffers are zeroed by WebGPU; a reused one is cleared in stream order.
    if (!fresh) this.ctx.encoder().clearBuffer(tensor.buffer, 0, tensor.bytes);
    return tensor;
  }

  async read(storage: GpuTensor, size: number, dtype: DType): Promise<Float32Array> {
    const bytes = bindBytes(size, dtype);
    const data = await this.ctx.readBytes(storage.buffer, bytes, 'tensor.read');
    return dtype === 'f16' ? fromFloat16Array(new Uint16Array(data, 0, size)) : new Float32Array(data, 0, size);
  }

  free(storage: GpuTensor): void {
    if (storage.freed) return;
    storage.freed = true;
    if (this.ctx.lost || this.#disposed) return;
    // Pending commands may still use it: hand it out again only after they are submitted.
    this.ctx.afterSubmit(() => this.ctx.pool.release(storage.buffer, storage.bytes));
  }

  copy(params: CopyKernelParams<GpuTensor>): void {
    this.ctx.beginOp('copy');
    encodeCopy(this.ctx, params);
  }

  rmsnorm(params: RmsnormKernelParams<GpuTensor>): void {
    this.ctx.beginOp('rmsnorm');
    encodeRmsnorm(this.ctx, params);
  }

  rope(params: RopeKernelParams<GpuTensor>): void {
    this.ctx.beginOp('rope');
    encodeRope(this.ctx, this.#tables, params);
  }

  gqa(params: GqaKernelParams<GpuTensor>): void {
    this.ctx.beginOp('gqa');
    encodeGqa(this.ctx, params, this.#gqaKernel);
  }

  sync(): Promise<void> {
    return this.ctx.sync('backend.sync');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.ctx.lost) this.ctx.flush();
    this.ctx.dispose();
    if (this.#owned) this.ctx.device.destroy();
  }
}

/**
 * Create the WebGPU backend. Uses `options.device` if given; otherwise requests an adapter
 * from `options.gpu`, `navigator.gpu`, or (in Node) the optional `webgpu` package (Dawn),
 * and a device with the adapter's maximum buffer/workgroup limits and the optional
 * features `shader-f16`, `subgroups` and `timestamp-query`.
 * @throws (rejects) `BackendUnavailableError` (from `@llama-ops/core`, `code`
 *   `'E_BACKEND_UNAVAILABLE'`) with the reason in its message and `attempts[0].reason`
 *   when there is no WebGPU implementation, no adapter, or the device cannot be created.
 * @example
 * import { createBackend } from '@llama-ops/backend-webgpu';
 * const gpu = await createBackend();
 * console.log(gpu.capabilities.dtypes, gpu.capabilities.adapter);
 */
export async function createBackend(options: WebGpuBackendOptions = {}): Promise<Backend> {
  const acquired = await acquireDevice(options);
  const device = acquired.device;
  const features = [...device.features].filter((f) => typeof f === 'string').sort();
  const languageFeatures = acquired.gpu?.wgslLanguageFeatures;
  const subgroupId = languageFeatures ? languageFeatures.has('subgroup_id') : false;
  const f16 = (options.f16 ?? true) && device.features.has('shader-f16');
  const subgroups = (options.subgroups ?? true) && device.features.has('subgroups') && subgroupId;
  const timestamps = device.features.has('timestamp-query');
  const limits: Record<string, number> = {};
  for (const key in device.limits) {
    const value = (device.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const notes: string[] = [];
  if (!f16) notes.push(device.features.has('shader-f16') ? 'f16 storage disabled by option' : 'no shader-f16 on this adapter: f32 only');
  if (!subgroups) notes.push('reductions use workgroup memory (no subgroups with the subgroup_id builtin, or disabled)');
  notes.push(timestamps ? 'GPU timestamps available (timeGpu)' : 'no timestamp-query: timeGpu falls back to wall time around sync()');
  const ctx = new GpuContext({ device, f16, subgroups, timestamps, maxFreeBytes: options.poolBytes ?? 256 * 2 ** 20 });
  const kernels = new WebGpuKernels(
    ctx,
    {
      dtypes: f16 ? ['f32', 'f16'] : ['f32'],
      adapter: acquired.adapterInfo,
      features,
      limits,
      notes,
    },
    acquired.owned,
    options.gqaKernel ?? 'auto',
  );
  return defineBackend(kernels);
}

/** The WebGPU kernels behind a backend made by {@link createBackend}, or null. */
export function webgpuKernelsOf(backend: Backend): WebGpuKernels | null {
  return backend.kernels instanceof WebGpuKernels ? backend.kernels : null;
}
