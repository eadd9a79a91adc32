/**
 * One WebGPU device for every GPU contender of a run. Our webgpu backend and onnxruntime-web's
 * WebGPU execution provider run on the same adapter and the same `GPUDevice`, in this process,
 * so they differ only in their kernels. In Node, Dawn (the `webgpu` package) provides the GPU.
 *
 * What it takes to run onnxruntime-web's WebGPU EP on Dawn in Node (measured with ORT 1.30 and
 * webgpu 0.6.2; see shared/WEBGPU-TESTING.md):
 * - `navigator.gpu` must exist (Node 20 has no navigator): it is Dawn's GPU object, which also
 *   keeps that object alive for the process, as Dawn needs;
 * - Dawn's `globals` (GPUBufferUsage, GPUDevice...) on globalThis: ORT checks `instanceof GPUDevice`;
 * - Dawn's `queue.writeBuffer` rejects views of a SharedArrayBuffer, which ORT passes: such
 *   views are copied first;
 * - Dawn gives one device per adapter, hence one device shared by everyone. It is the device
 *   our webgpu backend requests for itself (its features and raised limits), so sharing it
 *   never handicaps our side.
 *
 * Also here: GPU timestamps around the passes of code we do not own (ORT's), and the device
 * copy bandwidth that GPU rows are judged against.
 */

/** The adapter and the device every GPU contender of the run uses. */
export interface SharedGpu {
  readonly gpu: GPU;
  readonly device: GPUDevice;
  readonly adapterInfo: { vendor?: string; architecture?: string; device?: string; description?: string };
  /** One line naming the adapter, e.g. `nvidia hopper NVIDIA H200`. */
  readonly description: string;
  /** A software rasterizer (lavapipe/llvmpipe, SwiftShader): its numbers say nothing about GPU speed. */
  readonly software: boolean;
  /** Features the device was created with (sorted). */
  readonly features: string[];
  /** The device's numeric limits. */
  readonly limits: Record<string, number>;
  /** Largest tensor one binding can hold: `min(maxStorageBufferBindingSize, maxBufferSize)`. */
  readonly maxBinding: number;
}

/** What a software adapter's numbers are worth, as rows and contenders say it. */
export const SOFTWARE_ADAPTER_LABEL = 'software adapter: says nothing about GPU speed';

let shared: Promise<SharedGpu> | null = null;
/** The backend that created the shared device: never disposed, since disposing it destroys the device. */
// biome-ignore lint/correctness/noUnusedVariables: only held, so the owner stays reachable for the life of the process
let deviceOwner: unknown = null;

function patchWriteBuffer(): void {
  const proto = (globalThis as { GPUQueue?: { prototype: GPUQueue & { __sabSafe?: boolean } } }).GPUQueue?.prototype;
  if (!proto || proto.__sabSafe) return;
  const write = proto.writeBuffer;
  proto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, dataOffset?: number, size?: number) {
    let safe = data;
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      // A typed array's slice() is an unshared copy of the same type, so element offsets hold.
      safe =
        'BYTES_PER_ELEMENT' in data
          ? (data as unknown as { slice(): ArrayBufferView }).slice()
          : new DataView(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer);
    } else if (data instanceof SharedArrayBuffer) {
      safe = data.slice(0);
    }
    return write.call(this, buffer, offset, safe as GPUAllowSharedBufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  proto.__sabSafe = true;
}

async function createShared(): Promise<SharedGpu> {
  let gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    let dawn: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      dawn = (await import('webgpu')) as typeof dawn;
    } catch (err) {
      throw new Error(`WebGPU is not available: the 'webgpu' package (Dawn for Node) cannot be loaded (${(err as Error).message.split('\n')[0]})`);
    }
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    gpu = dawn.create([]);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  patchWriteBuffer();
  // The device is the one our backend makes for itself (its features and raised limits), so
  // sharing it never handicaps our side: a backend is created on this GPU object, kept for
  // the life of the process as the device's owner, and its device handed to everyone.
  const webgpu = await import('@llama-ops/backend-webgpu');
  const owner = await webgpu.createBackend({ gpu });
  const kernels = webgpu.webgpuKernelsOf(owner);
  if (!kernels) throw new Error('WebGPU is not available: the webgpu backend did not expose its device');
  deviceOwner = owner;
  const device = kernels.ctx.device;
  const info = owner.capabilities.adapter ?? {};
  const adapterInfo = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const limits: Record<string, number> = {};
  for (const key in device.limits) {
    const value = (device.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  return {
    gpu,
    device,
    adapterInfo,
    description,
    // The webgpu backend's one detection (capabilities.software), not a pattern of our own.
    software: owner.capabilities.software === true,
    features: [...device.features].map(String).sort(),
    limits,
    maxBinding: Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity),
  };
}

/**
 * The run's shared adapter and device (created on first use, then the same one).
 * @throws (rejects) Error with the reason when there is no WebGPU or no adapter.
 */
export function sharedGpu(): Promise<SharedGpu> {
  shared ??= createShared();
  return shared;
}

/** Query pairs one timestamp window can record (ORT runs a handful of passes per op). */
const WINDOW_PASSES = 256;

interface Window {
  querySet: GPUQuerySet;
  used: number;
}
let activeWindow: Window | null = null;
let passesPatched = false;

/**
 * Make every compute pass begun while a window is open carry timestamp writes, unless it has
 * its own. This is how passes encoded by code we do not own (onnxruntime-web's WebGPU EP)
 * get GPU timestamps, measured like our backend's own (`timeGpu`): the summed time of the
 * compute passes of one call.
 */
function patchComputePasses(): void {
  if (passesPatched) return;
  const proto = (globalThis as { GPUCommandEncoder?: { prototype: GPUCommandEncoder } }).GPUCommandEncoder?.prototype;
  if (!proto) throw new Error('GPUCommandEncoder is not a global: cannot time passes');
  const begin = proto.beginComputePass;
  proto.beginComputePass = function (this: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor) {
    const w = activeWindow;
    if (w && !descriptor?.timestampWrites && w.used + 2 <= WINDOW_PASSES * 2) {
      const timestampWrites = { querySet: w.querySet, beginningOfPassWriteIndex: w.used, endOfPassWriteIndex: w.used + 1 };
      w.used += 2;
      return begin.call(this, { ...(descriptor ?? {}), timestampWrites });
    }
    return begin.call(this, descriptor);
  };
  passesPatched = true;
}

/**
 * Run `fn` (which submits work to `device`), wait for the device, and return the summed GPU
 * time of the compute passes begun meanwhile, from timestamp queries. Needs `timestamp-query`.
 * @returns `fn`'s result and the GPU milliseconds (`passes`: how many passes were timed).
 */
export async function timePasses<T>(device: GPUDevice, fn: () => Promise<T>): Promise<{ result: T; ms: number; passes: number }> {
  patchComputePasses();
  if (activeWindow) throw new Error('timePasses: a timing window is already open');
  const w: Window = { querySet: device.createQuerySet({ type: 'timestamp', count: WINDOW_PASSES * 2 }), used: 0 };
  activeWindow = w;
  let result: T;
  try {
    result = await fn();
  } finally {
    activeWindow = null;
  }
  try {
    await device.queue.onSubmittedWorkDone();
    if (w.used === 0) return { result, ms: 0, passes: 0 };
    const bytes = w.used * 8;
    const resolved = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.resolveQuerySet(w.querySet, 0, w.used, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    resolved.destroy();
    let ns = 0n;
    for (let i = 0; i + 1 < stamps.length; i += 2) {
      const d = stamps[i + 1] - stamps[i];
      if (d > 0n) ns += d;
    }
    return { result, ms: Number(ns) / 1e6, passes: w.used / 2 };
  } finally {
    w.querySet.destroy();
  }
}

/** The device copy bandwidth of a run: the ceiling GPU rows are judged against. */
export interface DeviceCopy {
  /** Bytes of one `copyBufferToBuffer` (the source size). */
  bufferBytes: number;
  /** Copies per timed submit. */
  copiesPerSample: number;
  /** Median wall time of one copy, ms (submit and wait amortized over `copiesPerSample`). */
  medianMs: number;
  /** `2 * bufferBytes / medianMs`: bytes read plus bytes written, per second, in GB/s. */
  gbps: number;
  samples: number;
}

/** Copy size on a hardware adapter (the issue asks for at least 1 GiB). */
export const DEVICE_COPY_BYTES = 2 ** 30;
/** Copy size on a software adapter, so the copy finishes in seconds. */
export const SOFTWARE_COPY_BYTES = 64 * 2 ** 20;

/**
 * Measure the device's copy bandwidth: `copyBufferToBuffer` of `bytes` (default 1 GiB on a
 * hardware adapter, 64 MiB on a software one, capped at `maxBufferSize`), several copies per
 * submit so submit-and-wait overhead is amortized, and the median over `samples` submits.
 * Counts bytes read plus bytes written, as every row's GB/s does.
 */
export async function measureDeviceCopy(g: SharedGpu, options: { bytes?: number; samples?: number; budgetMs?: number } = {}): Promise<DeviceCopy> {
  const device = g.device;
  const wanted = options.bytes ?? (g.software ? SOFTWARE_COPY_BYTES : DEVICE_COPY_BYTES);
  const bytes = Math.floor(Math.min(wanted, g.limits.maxBufferSize ?? wanted) / 4) * 4;
  const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.STORAGE });
  const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE });
  const run = async (copies: number) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < copies; i++) enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  try {
    // Warm up (first touch allocates the pages), then choose copies per submit so one sample
    // lasts about 20 ms.
    await run(1);
    const one = Math.max(await run(1), 1e-3);
    const copies = Math.max(1, Math.min(64, Math.round(20 / one)));
    const samples: number[] = [];
    const budget = options.budgetMs ?? 1000;
    const start = performance.now();
    const want = options.samples ?? 7;
    while (samples.length < want && (samples.length < 3 || performance.now() - start < budget)) samples.push((await run(copies)) / copies);
    samples.sort((a, b) => a - b);
    const medianMs = samples[Math.floor(samples.length / 2)];
    return { bufferBytes: bytes, copiesPerSample: copies, medianMs, gbps: (2 * bytes) / (medianMs * 1e-3) / 1e9, samples: samples.length };
  } finally {
    src.destroy();
    dst.destroy();
  }
}
