/**
 * The WebGPU implementation of core's `KernelBackend`: tensors are pooled GPU buffers (or a
 * caller's buffers, wrapped), ops only encode work into the shared command stream
 * (context.ts), reads are the one readback and `sync` waits for the queue.
 *
 * Views (`capabilities.views`): every kernel takes each operand's element offset and row
 * stride as uniforms and binds whole buffers, so a view (q/k/v of one packed projection, an
 * `out` inside a larger tensor, a caller's buffer at an offset) costs no copy. Two cases are
 * staged instead: an output that shares its GPU buffer with another operand of an rmsnorm or
 * gqa dispatch (WebGPU rejects a writable binding that aliases another one) is written to
 * scratch and copied into place; RoPE and copy bind such a buffer once, read-write, instead.
 */
import {
  UnsupportedError,
  ValueError,
  checkBackendOptions,
  defineBackend,
  float16BitsToFloat32,
  type Backend,
  type BackendCapabilities,
  type CopyKernelParams,
  type DType,
  type GqaKernelParams,
  type KernelBackend,
  type OperandLayout,
  type RmsnormKernelParams,
  type RopeKernelParams,
  type StorageRegion,
} from '@llama-ops/core';
import { version } from '../package.json';
import type { PoolStats } from './buffer-pool.js';
import { GpuContext, bindBytes, bufferTensor, bytesPerElement, type GpuTensor } from './context.js';
import { acquireDevice, isSoftwareAdapter, type DeviceOptions } from './device.js';
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

/** Every option of {@link createBackend} and its JavaScript type (an unknown key is a ValueError). */
const OPTION_TYPES = {
  device: 'object',
  gpu: 'object',
  powerPreference: 'string',
  requiredLimits: 'object',
  dawnFlags: 'object',
  subgroups: 'boolean',
  f16: 'boolean',
  gqaKernel: 'string',
  poolBytes: 'number',
} as const satisfies Record<keyof WebGpuBackendOptions, 'object' | 'string' | 'boolean' | 'number'>;

const GQA_KERNELS = ['auto', 'flash-attention', 'flash-decoding'] as const;
const POWER_PREFERENCES = ['low-power', 'high-performance'] as const;

/** Check `createBackend`'s options: unknown keys, wrong types and values are typed errors. */
function checkOptions(options: WebGpuBackendOptions): void {
  const op = 'webgpu.createBackend';
  checkBackendOptions(op, options, OPTION_TYPES);
  const oneOf = (key: keyof WebGpuBackendOptions, allowed: readonly string[]) => {
    const value = options[key];
    if (value !== undefined && !allowed.includes(value as string)) {
      throw new ValueError({ op, argument: `options.${key}`, expected: `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, actual: `'${String(value)}'` });
    }
  };
  oneOf('gqaKernel', GQA_KERNELS);
  oneOf('powerPreference', POWER_PREFERENCES);
  if (options.dawnFlags !== undefined && (!Array.isArray(options.dawnFlags) || !options.dawnFlags.every((f) => typeof f === 'string'))) {
    throw new ValueError({ op, argument: 'options.dawnFlags', expected: 'an array of strings', actual: JSON.stringify(options.dawnFlags) ?? String(options.dawnFlags) });
  }
  if (options.requiredLimits !== undefined) {
    for (const [name, value] of Object.entries(options.requiredLimits ?? {})) {
      if (typeof value !== 'number' || !(value >= 0)) {
        throw new ValueError({ op, argument: `options.requiredLimits.${name}`, expected: 'a non-negative number', actual: String(value) });
      }
    }
  }
  if (options.poolBytes !== undefined && !(options.poolBytes >= 0 && Number.isFinite(options.poolBytes))) {
    throw new ValueError({ op, argument: 'options.poolBytes', expected: 'a finite number of bytes >= 0', actual: String(options.poolBytes) });
  }
  if (options.device === null || options.gpu === null || options.requiredLimits === null) {
    const key = options.device === null ? 'device' : options.gpu === null ? 'gpu' : 'requiredLimits';
    throw new ValueError({ op, argument: `options.${key}`, expected: 'an object or undefined', actual: 'null' });
  }
}

/** Names of the usage flags set in `usage` (for messages). */
function usageNames(usage: number): string {
  const names = Object.entries(GPUBufferUsage as unknown as Record<string, number>)
    .filter(([, bit]) => typeof bit === 'number' && (usage & bit) !== 0)
    .map(([name]) => name);
  return names.length > 0 ? names.join(' | ') : 'no usage flags';
}

function isGpuBuffer(value: unknown): value is GPUBuffer {
  if (typeof GPUBuffer === 'function' && value instanceof GPUBuffer) return true;
  const b = value as Partial<GPUBuffer> | null;
  return typeof b === 'object' && b !== null && typeof b.size === 'number' && typeof b.usage === 'number' && typeof b.destroy === 'function';
}

/** f32 values of all 65536 f16 bit patterns (256 KiB), built on the first f16 read. */
let halfTable: Float32Array | null = null;

/** Widen f16 `bits` into `into` (a table lookup per element: reads of f16 tensors stay memory-bound). */
function widenHalf(bits: Uint16Array, into: Float32Array): void {
  const table = (halfTable ??= Float32Array.from({ length: 65536 }, (_, b) => float16BitsToFloat32(b)));
  for (let i = 0; i < bits.length; i++) into[i] = table[bits[i]];
}

/** An output operand, possibly moved to scratch (see {@link WebGpuKernels}' header). */
interface Placed {
  readonly storage: GpuTensor;
  readonly layout: OperandLayout;
  /** Copies the scratch into the real output (nothing when the output was not moved). */
  readonly writeBack: () => void;
}

export class WebGpuKernels implements KernelBackend<GpuTensor> {
  readonly name = 'webgpu';
  readonly version: string = version;
  readonly ctx: GpuContext;
  readonly #owned: boolean;
  readonly #tables: RopeTableCache;
  readonly #gqaKernel: 'auto' | 'flash-attention' | 'flash-decoding';
  readonly #base: Omit<BackendCapabilities, 'lost'>;
  /** One storage per (caller buffer, dtype), so core sees two wraps of a buffer as one memory. */
  readonly #wrapped = new WeakMap<GPUBuffer, Partial<Record<DType, GpuTensor>>>();
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
    return { tensor: { buffer, size, dtype, bytes, external: false, freed: false }, fresh };
  }

  upload(data: Float32Array, dtype: DType): GpuTensor {
    const { tensor } = this.#create(data.length, dtype, 'backend.tensor');
    // The buffer is new to the stream (a pooled one is handed out only after the work that
    // used it was submitted), so writing it now cannot overtake anything.
    const src = dtype === 'f16' ? this.ctx.float16Bits(data) : data;
    this.ctx.device.queue.writeBuffer(tensor.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    return tensor;
  }

  allocate(size: number, dtype: DType): GpuTensor {
    const { tensor, fresh } = this.#create(size, dtype, 'backend.empty');
    // New buffers are zeroed by WebGPU; a reused one is cleared in stream order.
    if (!fresh) this.ctx.encoder().clearBuffer(tensor.buffer, 0, tensor.bytes);
    return tensor;
  }

  async read(storage: GpuTensor, size: number, dtype: DType): Promise<Float32Array> {
    const out = new Float32Array(size);
    await this.readInto(storage, { offset: 0, rowStride: size, rows: 1, rowSize: size }, dtype, out);
    return out;
  }

  /**
   * Read `region` into `into`: one DMA of the region's bytes into a pooled staging buffer when
   * it is one run (f16 at an odd offset reads from the 4-byte boundary before it) and the
   * buffer has COPY_SRC; otherwise a copy pass first gathers it densely into scratch. The
   * mapped bytes are converted straight into `into` (f16 widened), with no array in between.
   */
  async readInto(storage: GpuTensor, region: StorageRegion, dtype: DType, into: Float32Array): Promise<void> {
    const op = 'tensor.read';
    this.ctx.checkLive(op);
    this.ctx.assertSameDevice(op, [storage]);
    const e = bytesPerElement(dtype);
    const n = region.rows * region.rowSize;
    if (n === 0) return;
    const first = region.offset * e;
    const start = Math.floor(first / 4) * 4;
    const end = Math.ceil((first + n * e) / 4) * 4;
    const oneRun = region.rows === 1 || region.rowStride === region.rowSize;
    let source: GPUBuffer;
    let byteOffset: number;
    let bytes: number;
    let skip: number;
    if (oneRun && (storage.buffer.usage & GPUBufferUsage.COPY_SRC) !== 0 && end <= storage.buffer.size) {
      source = storage.buffer;
      byteOffset = start;
      bytes = end - start;
      skip = (first - start) / e;
    } else {
      this.ctx.beginOp(op);
      bytes = bindBytes(n, dtype);
      const dense = bufferTensor(this.ctx.scratch(bytes), bytes, dtype);
      encodeCopy(this.ctx, {
        src: storage,
        srcOffset: region.offset,
        srcRowStride: region.rowStride,
        dst: dense,
        dstOffset: 0,
        dstRowStride: region.rowSize,
        rows: region.rows,
        count: region.rowSize,
        dtype,
      });
      source = dense.buffer;
      byteOffset = 0;
      skip = 0;
    }
    await this.ctx.readback(source, byteOffset, bytes, op, (mapped) => {
      if (dtype === 'f32') {
        into.set(new Float32Array(mapped, skip * 4, n));
        return;
      }
      widenHalf(new Uint16Array(mapped, skip * 2, n), into);
    });
  }

  /**
   * Write `data` into `region`, in stream order. With nothing pending (the usual upload before
   * a step's ops), one `queue.writeBuffer` straight into the tensor when the region is one
   * 4-byte-aligned run and the buffer has COPY_DST. Otherwise (ops are pending, which
   * writeBuffer would overtake; a strided or odd f16 region; a wrapped buffer without
   * COPY_DST) the data goes into scratch with writeBuffer and a copy in the stream moves it.
   */
  write(storage: GpuTensor, region: StorageRegion, dtype: DType, data: Float32Array): void {
    const op = 'tensor.write';
    this.ctx.beginOp(op);
    this.ctx.assertSameDevice(op, [storage]);
    const e = bytesPerElement(dtype);
    const n = region.rows * region.rowSize;
    if (n === 0) return;
    const src = dtype === 'f16' ? this.ctx.float16Bits(data.subarray(0, n)) : data.subarray(0, n);
    const oneRun = region.rows === 1 || region.rowStride === region.rowSize;
    if (
      oneRun &&
      !this.ctx.pending &&
      (region.offset * e) % 4 === 0 &&
      (n * e) % 4 === 0 &&
      (storage.buffer.usage & GPUBufferUsage.COPY_DST) !== 0
    ) {
      this.ctx.device.queue.writeBuffer(storage.buffer, region.offset * e, src.buffer, src.byteOffset, n * e);
      return;
    }
    const bytes = bindBytes(n, dtype);
    const staged = bufferTensor(this.ctx.scratch(bytes, src), bytes, dtype);
    encodeCopy(this.ctx, {
      src: staged,
      srcOffset: 0,
      srcRowStride: region.rowSize,
      dst: storage,
      dstOffset: region.offset,
      dstRowStride: region.rowStride,
      rows: region.rows,
      count: region.rowSize,
      dtype,
    });
  }

  /**
   * The buffer behind a tensor, for the caller's own passes. Submits the ops queued so far,
   * so a pass the caller submits next runs after them (see also {@link flush}).
   */
  gpuBufferOf(storage: GpuTensor): { readonly buffer: GPUBuffer; readonly byteOffset: number } {
    if (!this.ctx.lost && !this.#disposed) this.ctx.flush();
    return { buffer: storage.buffer, byteOffset: 0 };
  }

  /**
   * Wrap a caller's buffer. Needs STORAGE usage (every kernel binds tensors as storage
   * buffers); COPY_SRC lets reads and copies out of it use the copy engine and COPY_DST lets
   * `write()` use `queue.writeBuffer`; without them those take a compute pass instead. The
   * buffer is bound whole, so it may not exceed maxStorageBufferBindingSize. Whether it
   * belongs to this device is checked asynchronously (see `GpuContext.checkDevice`).
   */
  wrapGpuBuffer(buffer: GPUBuffer, dtype: DType, op: string): { readonly storage: GpuTensor; readonly capacity: number } {
    this.ctx.checkLive(op);
    if (!isGpuBuffer(buffer)) {
      throw new ValueError({ op, argument: 'buffer', expected: 'a GPUBuffer', actual: buffer === null ? 'null' : typeof buffer });
    }
    if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) {
      throw new ValueError({
        op,
        argument: 'buffer.usage',
        expected: 'GPUBufferUsage.STORAGE (kernels bind tensors as storage buffers; add COPY_SRC for reads by the copy engine and COPY_DST for write() by queue.writeBuffer, else those take a compute pass)',
        actual: usageNames(buffer.usage),
      });
    }
    if (buffer.mapState !== undefined && buffer.mapState !== 'unmapped') {
      throw new ValueError({ op, argument: 'buffer', expected: 'an unmapped buffer (GPU work cannot use a mapped one)', actual: `mapState '${buffer.mapState}'` });
    }
    const max = this.ctx.limits.maxStorageBufferBindingSize;
    if (buffer.size > max) {
      throw new UnsupportedError({
        op,
        argument: 'buffer.size',
        expected: `at most ${max} bytes (this device's maxStorageBufferBindingSize: tensors are bound whole)`,
        actual: `${buffer.size} bytes`,
        hint: 'wrap a smaller buffer, or create the device with a larger maxStorageBufferBindingSize',
      });
    }
    let byDtype = this.#wrapped.get(buffer);
    if (byDtype === undefined) {
      this.#wrapped.set(buffer, (byDtype = {}));
      if (buffer.size >= 4) this.ctx.checkDevice(buffer);
    }
    let storage = byDtype[dtype];
    if (storage === undefined) {
      const bytes = Math.floor(buffer.size / 4) * 4;
      storage = byDtype[dtype] = { buffer, size: Math.floor(bytes / bytesPerElement(dtype)), dtype, bytes, external: true, freed: false };
    }
    this.ctx.assertNotForeign(op, buffer);
    return { storage, capacity: storage.size };
  }

  free(storage: GpuTensor): void {
    // A caller's buffer is never ours to release (and its storage is shared by every wrap).
    if (storage.freed || storage.external) return;
    storage.freed = true;
    if (this.ctx.lost || this.#disposed) return;
    // Pending commands may still use it: hand it out again only after they are submitted.
    this.ctx.afterSubmit(() => this.ctx.pool.release(storage.buffer, storage.bytes));
  }

  /**
   * `out` itself, or dense scratch when `out`'s buffer is also bound by another operand of
   * the dispatch (`others`); `writeBack` then copies the scratch into `out` after the kernel.
   */
  #placeOutput(out: GpuTensor, layout: OperandLayout, rows: number, rowSize: number, dtype: DType, others: ReadonlyArray<GpuTensor | null>): Placed {
    if (!others.some((o) => o !== null && o.buffer === out.buffer)) return { storage: out, layout, writeBack: () => undefined };
    const bytes = bindBytes(rows * rowSize, dtype);
    const scratch = bufferTensor(this.ctx.scratch(bytes), bytes, dtype);
    const writeBack = () =>
      encodeCopy(this.ctx, {
        src: scratch,
        srcOffset: 0,
        srcRowStride: rowSize,
        dst: out,
        dstOffset: layout.offset,
        dstRowStride: layout.rowStride,
        rows,
        count: rowSize,
        dtype,
      });
    return { storage: scratch, layout: { offset: 0, rowStride: rowSize }, writeBack };
  }

  copy(params: CopyKernelParams<GpuTensor>): void {
    this.ctx.beginOp('copy');
    this.ctx.assertSameDevice('copy', [params.src, params.dst]);
    encodeCopy(this.ctx, params);
  }

  rmsnorm(params: RmsnormKernelParams<GpuTensor>): void {
    const p = params;
    this.ctx.beginOp('rmsnorm');
    this.ctx.assertSameDevice('rmsnorm', [p.x, p.residual, p.weight, p.out, p.sum]);
    const reads = [p.x, p.residual, p.weight];
    const out = this.#placeOutput(p.out, p.layout.out, p.rows, p.hidden, p.dtype, [...reads, p.sum]);
    const sum = p.sum === null ? null : this.#placeOutput(p.sum, p.layout.sum, p.rows, p.hidden, p.dtype, [...reads, out.storage]);
    encodeRmsnorm(this.ctx, {
      ...p,
      out: out.storage,
      sum: sum ? sum.storage : null,
      layout: { ...p.layout, out: out.layout, sum: sum ? sum.layout : p.layout.sum },
    });
    out.writeBack();
    sum?.writeBack();
  }

  rope(params: RopeKernelParams<GpuTensor>): void {
    this.ctx.beginOp('rope');
    this.ctx.assertSameDevice('rope', [params.x, params.out]);
    encodeRope(this.ctx, this.#tables, params);
  }

  gqa(params: GqaKernelParams<GpuTensor>): void {
    const p = params;
    this.ctx.beginOp('gqa');
    this.ctx.assertSameDevice('gqa', [p.q, p.k, p.v, p.out, p.mask, p.sinks]);
    const out = this.#placeOutput(p.out, p.layout.out, p.batch * p.seqQ, p.headsQ * p.headDimV, p.dtype, [p.q, p.k, p.v, p.mask, p.sinks]);
    encodeGqa(this.ctx, { ...p, out: out.storage, layout: { ...p.layout, out: out.layout } }, this.#gqaKernel);
    out.writeBack();
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
  checkOptions(options);
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
      software: isSoftwareAdapter(acquired.adapterInfo),
      features,
      limits,
      notes,
      views: true,
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

/**
 * Submit every op queued on `backend` so far to its device's queue, without waiting for them.
 * Ops are otherwise submitted at the end of the current task (or by a read or sync): call this
 * before submitting a pass of your own that reads their outputs, so it runs after them.
 * Reading `tensor.gpuBuffer` / `tensor.gpuOffset` does it too. Does nothing on other backends.
 * @example
 * const o = gqa(q, k, v);
 * flush(gpu);
 * device.queue.submit([myPassReading(o.gpuBuffer, o.gpuOffset)]);
 */
export function flush(backend: Backend): void {
  const kernels = webgpuKernelsOf(backend);
  if (kernels && !backend.disposed && !kernels.ctx.lost) kernels.ctx.flush();
}
