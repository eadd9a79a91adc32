/**
 * The command stream shared by every kernel: a program (pipeline) cache keyed on what
 * changes the WGSL, pooled uniform/scratch buffers, and one pending command encoder that
 * collects every op until something needs the results (a read, a sync) or the current
 * task ends (a microtask flush), so a decoder step's dozens of ops go out in one submit.
 *
 * Ordering rules this relies on (WebGPU queue semantics): `queue.writeBuffer` runs at
 * queue time, before the next `submit` but after every earlier one. So a buffer referenced
 * by the pending encoder is never handed out again before that encoder is submitted
 * (freed tensors, uniforms and scratch buffers are released after the flush), and then
 * any later writeBuffer/clear is ordered after the work that used it.
 */
import type { DType } from '@llama-ops/core';
import { DeviceLostError, ValueError, float32ToFloat16Bits } from '@llama-ops/core';
import { BufferPool } from './buffer-pool.js';
import { UNIFORM_BUFFER_BYTES, type UniformLayout, type UniformSchema, type UniformValues } from './uniforms.js';

/**
 * The storage handle of a WebGPU tensor: a whole GPU buffer. Tensors that are views, and
 * wrapped buffers at an offset, share it; where their elements start is an element offset
 * the kernels take as a uniform (core's `OperandLayout`), never a binding offset.
 */
export interface GpuTensor {
  readonly buffer: GPUBuffer;
  /** Element count (for a wrapped buffer: the elements it can hold). */
  readonly size: number;
  readonly dtype: DType;
  /** Bytes bound for this tensor (element bytes rounded up to 4; a wrapped buffer's size rounded down to 4). */
  readonly bytes: number;
  /** A caller's buffer (`backend.fromGPUBuffer`): never destroyed, pooled or cleared by this package. */
  readonly external: boolean;
  freed: boolean;
}

/** A binding: a tensor (its bytes) or a whole buffer (uniforms, scratch). */
export type Binding = GpuTensor | GPUBuffer;

/** Bytes of one element of `dtype`. */
export const bytesPerElement = (dtype: DType): number => (dtype === 'f16' ? 2 : 4);
/** Bytes bound for `size` elements (storage bindings must be a multiple of 4 bytes). */
export const bindBytes = (size: number, dtype: DType): number => Math.ceil((size * bytesPerElement(dtype)) / 4) * 4;

/** A scratch or internal buffer seen as a tensor of `dtype` (for the copy kernel). */
export function bufferTensor(buffer: GPUBuffer, bytes: number, dtype: DType): GpuTensor {
  return { buffer, size: Math.floor(bytes / bytesPerElement(dtype)), dtype, bytes, external: false, freed: false };
}

/** A caller's buffer that belongs to another GPUDevice. */
function foreignBufferError(op: string, detail?: string): ValueError {
  return new ValueError({
    op,
    argument: 'buffer',
    expected: "a GPUBuffer of this backend's GPUDevice (backend.fromGPUBuffer)",
    actual: `a buffer of another GPUDevice${detail ? ` (the device reported: ${detail})` : ''}`,
    hint: 'create the backend on the device that made your buffers: createBackend({ device })',
  });
}

/** Submit after this many passes even within one task, to bound encoder size. */
const MAX_PASSES_PER_SUBMIT = 128;

export interface ContextOptions {
  device: GPUDevice;
  f16: boolean;
  subgroups: boolean;
  timestamps: boolean;
  maxFreeBytes: number;
}

export class GpuContext {
  readonly device: GPUDevice;
  /** shader-f16 is enabled: f16 storage kernels may be built. */
  readonly f16: boolean;
  /** subgroups + the `subgroup_id` WGSL builtin are available for reductions. */
  readonly subgroups: boolean;
  readonly timestamps: boolean;
  readonly limits: GPUSupportedLimits;
  readonly pool: BufferPool;
  /** Number of pipelines compiled (for tests: no per-call compilation). */
  pipelinesCompiled = 0;
  lost = false;
  lostReason = '';
  /** Validation errors the device reported (a shader/pipeline bug); surfaced on read. */
  readonly errors: string[] = [];

  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #uniformFree: GPUBuffer[] = [];
  #encoder: GPUCommandEncoder | null = null;
  #passes = 0;
  #afterSubmit: Array<() => void> = [];
  #flushQueued = false;
  readonly #pendingRejects = new Set<(err: Error) => void>();
  #timing: { querySet: GPUQuerySet; capacity: number; used: number; resolved: Array<Promise<BigInt64Array>> } | null = null;
  #halfBits = new Uint16Array(0);
  #probeLayout: GPUBindGroupLayout | null = null;
  /** Device checks of wrapped buffers still in flight. */
  readonly #deviceChecks = new Map<GPUBuffer, Promise<void>>();
  /** Wrapped buffers used by ops while their device check was still in flight. */
  readonly #unverifiedUsed = new Set<GPUBuffer>();
  /** Wrapped buffers found to belong to another device. */
  readonly #foreign = new WeakSet<GPUBuffer>();
  #foreignSeen = false;

  constructor(options: ContextOptions) {
    this.device = options.device;
    this.f16 = options.f16;
    this.subgroups = options.subgroups;
    this.timestamps = options.timestamps;
    this.limits = options.device.limits;
    this.pool = new BufferPool(options.device, options.maxFreeBytes);
    void options.device.lost.then((info) => this.#onLost(info.message || info.reason || 'device lost'));
    const onError = (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(e?.message ?? String(e));
    };
    const d = options.device as GPUDevice & { addEventListener?: GPUDevice['addEventListener'] };
    if (typeof d.addEventListener === 'function') d.addEventListener('uncapturederror', onError);
    else (d as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  #onLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.lostReason = reason;
    this.#encoder = null;
    this.#afterSubmit = [];
    const err = this.lostError('webgpu');
    for (const reject of this.#pendingRejects) reject(err);
    this.#pendingRejects.clear();
  }

  lostError(op: string): DeviceLostError {
    return new DeviceLostError({ op, argument: 'device', hint: `the GPU device was lost (${this.lostReason}); create a new webgpu backend` });
  }

  /** Throw DeviceLostError when the device is gone. */
  checkLive(op: string): void {
    if (this.lost) throw this.lostError(op);
  }

  /** The pipeline for `key`, compiling `code()` only the first time. */
  pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.#pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.#pipelines.set(key, p);
      this.pipelinesCompiled++;
    }
    return p;
  }

  /** The pending encoder (created on demand); a flush is queued for the end of the task. */
  encoder(): GPUCommandEncoder {
    if (!this.#encoder) {
      this.#encoder = this.device.createCommandEncoder();
      this.#passes = 0;
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.flush();
      });
    }
    return this.#encoder;
  }

  /** Run `fn` right after the pending work is submitted (or now, if nothing is pending). */
  afterSubmit(fn: () => void): void {
    if (this.#encoder) this.#afterSubmit.push(fn);
    else fn();
  }

  /** Submit the pending encoder, then release what it held. */
  flush(): void {
    if (!this.#encoder || this.lost) return;
    const enc = this.#encoder;
    this.#encoder = null;
    this.#resolveTimestamps(enc);
    this.device.queue.submit([enc.finish()]);
    const after = this.#afterSubmit;
    this.#afterSubmit = [];
    for (const fn of after) fn();
  }

  /** A uniform buffer holding `values` packed by `layout`, valid for the pending encoder. */
  uniforms<S extends UniformSchema>(layout: UniformLayout<S>, values: UniformValues<S>): GPUBuffer {
    const data = layout.pack(values);
    const buf =
      this.#uniformFree.pop() ??
      this.device.createBuffer({ size: UNIFORM_BUFFER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniforms' });
    this.device.queue.writeBuffer(buf, 0, data);
    this.encoder();
    this.#afterSubmit.push(() => this.#uniformFree.push(buf));
    return buf;
  }

  /** A storage buffer of `bytes` (optionally filled with `data`), released after the pending submit. */
  scratch(bytes: number, data?: ArrayBufferView): GPUBuffer {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const { buffer } = this.pool.acquire(bytes, usage, 'scratch');
    if (data) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.encoder();
    this.#afterSubmit.push(() => this.pool.release(buffer, bytes));
    return buffer;
  }

  /**
   * Encode one compute pass running `pipeline` over `workgroups`, binding `bindings` to
   * group 0 in order (binding i = bindings[i]).
   */
  dispatch(pipeline: GPUComputePipeline, bindings: readonly Binding[], workgroups: readonly [number, number?, number?], label?: string): void {
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) =>
      'bytes' in b ? { binding: i, resource: { buffer: b.buffer, offset: 0, size: b.bytes } } : { binding: i, resource: { buffer: b } },
    );
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const enc = this.encoder();
    const descriptor: GPUComputePassDescriptor = { label };
    const t = this.#timing;
    if (t && t.used + 2 <= t.capacity) {
      descriptor.timestampWrites = { querySet: t.querySet, beginningOfPassWriteIndex: t.used, endOfPassWriteIndex: t.used + 1 };
      t.used += 2;
    }
    const pass = enc.beginComputePass(descriptor);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    pass.end();
    this.#passes++;
  }

  /**
   * Called at the start of each op: submit when the pending encoder is already long. Never
   * mid-op, since an op's uniforms and scratch must stay reserved until its last pass.
   */
  beginOp(op: string): void {
    this.checkLive(op);
    if (this.#encoder && this.#passes >= MAX_PASSES_PER_SUBMIT) this.flush();
  }

  /**
   * Split `count` workgroups into a 2D grid within `maxComputeWorkgroupsPerDimension`;
   * shaders rebuild the linear index as `wid.x + wid.y * nwg.x` and skip the excess.
   */
  grid(count: number): [number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (count <= max) return [Math.max(1, count), 1];
    const y = Math.ceil(count / max);
    return [Math.ceil(count / y), y];
  }

  /**
   * Copy `bytes` of `buffer` from `byteOffset` (both multiples of 4) into a pooled staging
   * buffer after all pending work, map it, and hand the mapped bytes to `consume` (valid only
   * during the call: convert or copy out of it). Rejects with DeviceLostError on loss, and
   * with the device's validation errors, if any were reported.
   */
  async readback<T>(buffer: GPUBuffer, byteOffset: number, bytes: number, op: string, consume: (mapped: ArrayBuffer) => T): Promise<T> {
    this.checkLive(op);
    const usage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const { buffer: staging } = this.pool.acquire(bytes, usage, 'staging');
    this.encoder().copyBufferToBuffer(buffer, byteOffset, staging, 0, bytes);
    this.flush();
    let reject!: (err: Error) => void;
    const lost = new Promise<never>((_, r) => (reject = r));
    this.#pendingRejects.add(reject);
    try {
      await Promise.race([staging.mapAsync(GPUMapMode.READ, 0, bytes), lost]);
    } catch (err) {
      // Browsers reject mapAsync (AbortError) as soon as the device is destroyed, before
      // device.lost settles: give the loss a moment to be reported, then name it.
      if (!this.lost) await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 1000))]);
      // (The constructor's device.lost handler runs first, so `lost` is set by now.)
      if (this.lost) throw this.lostError(op);
      throw err;
    } finally {
      this.#pendingRejects.delete(reject);
    }
    if (this.lost) throw this.lostError(op);
    let result: T;
    try {
      result = consume(staging.getMappedRange(0, bytes));
    } finally {
      staging.unmap();
      this.pool.release(staging, bytes);
    }
    await this.#verifyDevice(op);
    this.#throwDeviceErrors(op);
    return result;
  }

  /** Read `bytes` of `buffer` (from offset 0) after all pending work, as a new ArrayBuffer. */
  readBytes(buffer: GPUBuffer, bytes: number, op: string): Promise<ArrayBuffer> {
    return this.readback(buffer, 0, bytes, op, (mapped) => mapped.slice(0));
  }

  /** True while encoded work waits in the pending encoder (not yet submitted). */
  get pending(): boolean {
    return this.#encoder !== null;
  }

  /**
   * `data` narrowed to f16 bits in a host array this context reuses (valid until the next
   * call), padded with a zero to an even length so its byte length is a multiple of 4.
   */
  float16Bits(data: Float32Array): Uint16Array {
    const n = data.length + (data.length % 2);
    if (this.#halfBits.length < n) this.#halfBits = new Uint16Array(Math.max(n, 2 * this.#halfBits.length));
    const bits = this.#halfBits.subarray(0, n);
    for (let i = 0; i < data.length; i++) bits[i] = float32ToFloat16Bits(data[i]);
    if (n > data.length) bits[data.length] = 0;
    return bits;
  }

  /**
   * Start checking that a caller's `buffer` belongs to this device. WebGPU offers no
   * synchronous way to ask (a GPUBuffer does not name its device): a bind group made with
   * it inside an error scope fails validation when it is foreign, which is known a moment
   * later. From then on, ops given the buffer throw {@link ValueError}; the read or sync that
   * follows ops that used it before that (their submit failed validation as a whole) rejects
   * with the same error.
   */
  checkDevice(buffer: GPUBuffer): void {
    this.#probeLayout ??= this.device.createBindGroupLayout({
      label: 'device-check',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } }],
    });
    this.device.pushErrorScope('validation');
    this.device.createBindGroup({ layout: this.#probeLayout, entries: [{ binding: 0, resource: { buffer, offset: 0, size: 4 } }] });
    const check = this.device.popErrorScope().then(
      (error) => {
        if (error) {
          this.#foreign.add(buffer);
          this.#foreignSeen = true;
        }
      },
      () => undefined,
    );
    this.#deviceChecks.set(buffer, check);
    void check.then(() => this.#deviceChecks.delete(buffer));
  }

  /**
   * Throw {@link ValueError} when one of `tensors` wraps a buffer known to belong to another
   * device; note those whose check is still in flight (see {@link checkDevice}).
   */
  assertSameDevice(op: string, tensors: ReadonlyArray<GpuTensor | null>): void {
    if (!this.#foreignSeen && this.#deviceChecks.size === 0) return;
    for (const t of tensors) {
      if (!t?.external) continue;
      if (this.#foreign.has(t.buffer)) throw foreignBufferError(op);
      if (this.#deviceChecks.has(t.buffer)) this.#unverifiedUsed.add(t.buffer);
    }
  }

  /** Throw {@link ValueError} when `buffer` is known to belong to another device. */
  assertNotForeign(op: string, buffer: GPUBuffer): void {
    if (this.#foreignSeen && this.#foreign.has(buffer)) throw foreignBufferError(op);
  }

  /** Wait for the device checks; reject when ops used a foreign buffer before its check ended. */
  async #verifyDevice(op: string): Promise<void> {
    while (this.#deviceChecks.size > 0) await Promise.all([...this.#deviceChecks.values()]);
    if (this.#unverifiedUsed.size === 0) return;
    const spoiled = [...this.#unverifiedUsed].some((b) => this.#foreign.has(b));
    this.#unverifiedUsed.clear();
    if (!spoiled) return;
    // The submit that used it failed validation; its errors are this one's, not a bug's.
    await this.device.queue.onSubmittedWorkDone().catch(() => undefined);
    this.errors.splice(0);
    throw foreignBufferError(op);
  }

  /** Surface validation errors the device reported since the last read. */
  #throwDeviceErrors(op: string): void {
    if (this.errors.length === 0) return;
    const msg = this.errors.splice(0).join('; ');
    // A submit that used a caller's buffer of another device fails validation as a whole.
    if (this.#foreignSeen) throw foreignBufferError(op, msg);
    throw new Error(`webgpu: the device reported an error (a bug in @llama-ops/backend-webgpu): ${msg}`);
  }

  /** Resolve once everything submitted so far has finished. */
  async sync(op: string): Promise<void> {
    this.checkLive(op);
    this.flush();
    let reject!: (err: Error) => void;
    const lost = new Promise<never>((_, r) => (reject = r));
    this.#pendingRejects.add(reject);
    try {
      await Promise.race([this.device.queue.onSubmittedWorkDone(), lost]);
    } catch (err) {
      if (!this.lost) await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 1000))]);
      if (this.lost) throw this.lostError(op);
      throw err;
    } finally {
      this.#pendingRejects.delete(reject);
    }
    if (this.lost) throw this.lostError(op);
    await this.#verifyDevice(op);
  }

  /** Start recording GPU timestamps around every pass (needs `timestamp-query`). */
  beginTiming(capacity = 4096): boolean {
    if (!this.timestamps || this.#timing) return false;
    this.flush();
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: capacity });
    this.#timing = { querySet, capacity, used: 0, resolved: [] };
    return true;
  }

  #resolveTimestamps(enc: GPUCommandEncoder): void {
    const t = this.#timing;
    if (!t || t.used === 0) return;
    // Resolve what this encoder recorded; the query set then starts over for the next one.
    const bytes = t.used * 8;
    const resolveBuf = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readBuf = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.resolveQuerySet(t.querySet, 0, t.used, resolveBuf, 0);
    enc.copyBufferToBuffer(resolveBuf, 0, readBuf, 0, bytes);
    t.used = 0;
    // Map only once the encoder that fills readBuf is submitted: a buffer with a pending
    // map may not be used in a submit (Dawn rejects the whole submit with a validation
    // error, and the timestamps read back as zeros).
    t.resolved.push(
      new Promise<BigInt64Array>((resolve, reject) => {
        this.#afterSubmit.push(() => {
          readBuf.mapAsync(GPUMapMode.READ).then(() => {
            const v = new BigInt64Array(readBuf.getMappedRange().slice(0));
            readBuf.unmap();
            readBuf.destroy();
            resolveBuf.destroy();
            resolve(v);
          }, reject);
        });
      }),
    );
  }

  /** Stop recording; the summed GPU time of every recorded pass, in milliseconds. */
  async endTiming(): Promise<{ gpuMs: number; passes: number }> {
    const t = this.#timing;
    if (!t) return { gpuMs: 0, passes: 0 };
    this.flush();
    this.#timing = null;
    const all = await Promise.all(t.resolved);
    t.querySet.destroy();
    let ns = 0n;
    let passes = 0;
    for (const v of all) {
      for (let i = 0; i + 1 < v.length; i += 2) {
        const d = v[i + 1] - v[i];
        if (d > 0n) ns += d;
        passes++;
      }
    }
    return { gpuMs: Number(ns) / 1e6, passes };
  }

  /**
   * Release cached state and every buffer this context made (the device itself is destroyed
   * by its owner). Buffers wrapped from the caller are left alone.
   */
  dispose(): void {
    this.#pipelines.clear();
    for (const b of this.#uniformFree) b.destroy();
    this.#uniformFree.length = 0;
    this.pool.destroyAll();
  }
}
