/**
 * onnxruntime-web's WebGPU execution provider as a peer, on the same adapter and the same
 * `GPUDevice` as our webgpu backend, in this process (see gpu.ts for what that takes in Node).
 *
 * - Models: the one-node models of `@llama-ops/onnx-peer`, as for the CPU peers:
 *   `RMSNormalization`, `SkipSimplifiedLayerNormalization`, `RotaryEmbedding`, and on
 *   attention rows ONNX `Attention` (column `ort-webgpu`) and `GroupQueryAttention`
 *   (column `ort-webgpu-gqa`). onnxruntime-web 1.30 has no WebGPU kernel for opset-23
 *   `Attention`: every session refuses CPU fallback (`session.disable_cpu_ep_fallback`), so
 *   such an op is reported as skipped with ORT's reason instead of being timed on the CPU.
 * - Data stays on the GPU, as our backend's does: float inputs are uploaded once into GPU
 *   buffers of the shared device (`Tensor.fromGpuBuffer`), outputs stay there
 *   (`preferredOutputLocation: 'gpu-buffer'`) and are disposed after every call.
 * - Time: GPU timestamps on every compute pass ORT begins during a call (gpu.ts
 *   `timePasses`), summed, as our backend's `timeGpu` sums its own; without
 *   `timestamp-query`, wall time to the device's completion.
 * - ORT's 26 MB WebGPU build spends 20+ s in V8's optimizing compiler on first use:
 *   V8 runs with `--liftoff-only` from then on (see the contender's notes).
 */
import v8 from 'node:v8';
import { reasonOf, type Contender, type RowSession } from './contender.js';
import { sharedGpu, timePasses, SOFTWARE_ADAPTER_LABEL, type SharedGpu } from './gpu.js';
import { buildModel } from './peers.js';
import type { ContenderInfo } from './report.js';
import type { BenchRow, RowInputs } from './rows.js';

type OnnxPeer = typeof import('@llama-ops/onnx-peer');
type Core = typeof import('@llama-ops/core');

interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly location: string;
  getData(releaseData?: boolean): Promise<ArrayLike<number> | Uint16Array>;
  dispose(): void;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtWebGpu {
  Tensor: {
    new (type: string, data: unknown, dims: readonly number[]): OrtTensor;
    fromGpuBuffer(buffer: GPUBuffer, options: { dataType: string; dims: readonly number[] }): OrtTensor;
  };
  InferenceSession: { create(bytes: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  env: { wasm: { numThreads?: number }; logLevel?: string; versions?: Record<string, string> };
}

/** The ids of this peer's two columns. */
export const ORT_WEBGPU_IDS = ['ort-webgpu', 'ort-webgpu-gqa'] as const;

/** Largest single `writeBuffer` (big tensors are uploaded in pieces). */
const UPLOAD_CHUNK_BYTES = 256 * 2 ** 20;

const LIFTOFF_NOTE = 'V8 runs with --liftoff-only from this peer on (ORT\u2019s WebGPU build otherwise spends 20+ s in the optimizing compiler): time wasm contenders in a run without it';

let ortLoaded: Promise<OrtWebGpu> | null = null;

async function loadOrtWebGpu(): Promise<OrtWebGpu> {
  ortLoaded ??= (async () => {
    if (!process.execArgv.includes('--liftoff-only')) v8.setFlagsFromString('--liftoff-only');
    const mod = (await import('onnxruntime-web/webgpu')) as unknown as OrtWebGpu & { default?: OrtWebGpu };
    const ort = mod.InferenceSession ? mod : (mod.default as OrtWebGpu);
    // The EP works on the GPU; one wasm thread does ORT's host side.
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortLoaded;
}

function sessionOptions(g: SharedGpu): Record<string, unknown> {
  return {
    executionProviders: [{ name: 'webgpu', device: g.device }],
    preferredOutputLocation: 'gpu-buffer',
    graphOptimizationLevel: 'all',
    // Fatal only: ORT's errors reach us as exceptions (and its refusal to fall back to the
    // CPU would otherwise print on every attention row).
    logSeverityLevel: 4,
    // Every node on the GPU or no session: an op ORT would quietly run on its CPU EP fails here.
    extra: { session: { disable_cpu_ep_fallback: '1' } },
  };
}

/** ORT's refusal to place a node on WebGPU, in words. */
function explainSessionError(err: unknown, opName: string, version: string): string {
  const msg = reasonOf(err);
  if (/fallback to CPU EP has been explicitly disabled|assigned to the default CPU EP/i.test(msg)) {
    return `onnxruntime-web ${version} has no WebGPU kernel for ${opName} (it would run on the CPU EP; CPU fallback is off so every timed op runs on the GPU)`;
  }
  return `onnxruntime-web could not create a WebGPU session for ${opName}: ${msg}`;
}

type FeedLike = { type: string; data: ArrayLike<number> | ArrayLike<bigint>; dims: readonly number[] };

/** A float feed as a GPU buffer of the shared device (empty feeds stay on the CPU). */
function uploadFeed(ort: OrtWebGpu, device: GPUDevice, f: FeedLike, buffers: GPUBuffer[]): OrtTensor {
  const isFloat = f.type === 'float32' || f.type === 'float16';
  if (!isFloat || f.data.length === 0) return new ort.Tensor(f.type, f.data, f.dims);
  const data = f.data as Float32Array | Uint16Array;
  const bytes = data.byteLength;
  const buffer = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  buffers.push(buffer);
  // writeBuffer sizes must be multiples of 4: an odd f16 count leaves 2 bytes written by padding.
  const whole = bytes - (bytes % 4);
  for (let offset = 0; offset < whole; offset += UPLOAD_CHUNK_BYTES) {
    const n = Math.min(UPLOAD_CHUNK_BYTES, whole - offset);
    device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset + offset, n);
  }
  if (whole < bytes) {
    const tail = new Uint8Array(4);
    tail.set(new Uint8Array(data.buffer, data.byteOffset + whole, bytes - whole));
    device.queue.writeBuffer(buffer, whole, tail);
  }
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: f.type, dims: f.dims });
}

async function readOutput(peer: OnnxPeer, t: OrtTensor): Promise<Float32Array> {
  const data = await t.getData();
  if (t.type === 'float16') return peer.fromHalfBits(data as Uint16Array);
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** Bytes of the largest GPU buffer the row needs on this peer (inputs, outputs, GQA's present K/V). */
function largestBuffer(row: BenchRow): number {
  const e = row.dtype === 'f16' ? 2 : 4;
  const p = row.params;
  if (p.kind === 'rmsnorm') return e * p.rows * p.hidden;
  if (p.kind === 'rope') return e * p.batch * p.seq * p.heads * p.headDim;
  const kv = e * p.batch * Math.max(...p.kvLength) * p.headsKV * p.headDim;
  return Math.max(kv, e * p.batch * p.seqQ * p.headsQ * p.headDim);
}

/**
 * Create the `ort-webgpu` and `ort-webgpu-gqa` contenders, or unavailable infos with the
 * reason (no adapter, onnxruntime-web not installed, the EP failing to start...).
 */
export async function createOrtWebGpuContenders(): Promise<Array<Contender | ContenderInfo>> {
  const skipAll = (reason: string): ContenderInfo[] =>
    ORT_WEBGPU_IDS.map((id) => ({ id, kind: 'peer', label: id, available: false, reason, timing: 'wall', notes: [] }));
  let peer: OnnxPeer;
  let core: Core;
  try {
    peer = await import('@llama-ops/onnx-peer');
    core = await import('@llama-ops/core');
  } catch (err) {
    return skipAll(`@llama-ops/onnx-peer cannot be loaded (${reasonOf(err)})`);
  }
  let g: SharedGpu;
  try {
    g = await sharedGpu();
  } catch (err) {
    return skipAll(reasonOf(err));
  }
  let ort: OrtWebGpu;
  try {
    ort = await loadOrtWebGpu();
  } catch (err) {
    return skipAll(`onnxruntime-web/webgpu is not available (${reasonOf(err)})`);
  }
  const version = ort.env.versions?.web ?? '';
  // Probe: one RMSNormalization on the shared device, GPU in and out, read back and checked.
  try {
    const session = await ort.InferenceSession.create(peer.rmsNormalizationModel({ shape: [1, 8] }).bytes, sessionOptions(g));
    const buffers: GPUBuffer[] = [];
    const x = uploadFeed(ort, g.device, peer.f32(new Float32Array(8).fill(2), [1, 8]), buffers);
    const scale = uploadFeed(ort, g.device, peer.f32(new Float32Array(8).fill(1), [8]), buffers);
    const out = await session.run({ X: x, scale });
    const y = await readOutput(peer, out.Y);
    out.Y.dispose();
    await session.release();
    for (const b of buffers) b.destroy();
    if (!(Math.abs(y[0] - 1) < 1e-3)) throw new Error(`probe RMSNorm of 2s gave ${y[0]}, not 1`);
  } catch (err) {
    return skipAll(`onnxruntime-web's WebGPU EP does not run on this device (${reasonOf(err)})`);
  }
  const timestamps = g.features.includes('timestamp-query');
  const notes = [
    `same adapter and device as webgpu: ${g.description}`,
    'inputs and outputs in GPU buffers; every node on the GPU (CPU fallback off)',
    timestamps ? 'times are GPU timestamps summed over the compute passes ORT begins in one call' : 'no timestamp-query: wall time to the device\u2019s completion',
    LIFTOFF_NOTE,
    ...(g.software ? [SOFTWARE_ADAPTER_LABEL] : []),
  ];
  if (g.software) {
    notes.push(
      'ORT 1.30\u2019s flash attention (GroupQueryAttention prefill from 32 tokens) is wrong with subgroup sizes 4 (SwiftShader) and 8 (lavapipe) and hangs lavapipe in f16: quick rows stay below 32 tokens; the reference check before timing reports wrong outputs',
    );
  }

  const make = (id: string, gqaOp: 'Attention' | 'GroupQueryAttention'): Contender => ({
    info: {
      id,
      kind: 'peer',
      label: `onnxruntime-web${version ? ` ${version}` : ''} (WebGPU EP${gqaOp === 'GroupQueryAttention' ? ', GroupQueryAttention' : ''})`,
      available: true,
      timing: timestamps ? 'gpu-timestamps' : 'wall',
      software: g.software,
      notes: [...notes],
    },
    // Its inputs live in GPU buffers: the JS-in, JS-out rows are the CPU peers'.
    appliesTo: (row) => row.io !== 'js' && (gqaOp === 'Attention' || row.op === 'gqa'),
    fits(row) {
      if (row.dtype === 'f16' && !g.features.includes('shader-f16')) return 'f16 needs shader-f16, which this device does not have';
      const bytes = largestBuffer(row);
      return bytes <= g.maxBinding ? null : `a ${bytes}-byte buffer exceeds this device's largest binding (${g.maxBinding} bytes)`;
    },
    async prepare(row: BenchRow, inputs: RowInputs): Promise<RowSession> {
      const m = buildModel(peer, core, row, inputs, gqaOp);
      let session: OrtSession;
      try {
        session = await ort.InferenceSession.create(m.model.bytes, sessionOptions(g));
      } catch (err) {
        throw new Error(explainSessionError(err, m.opName, version));
      }
      const buffers: GPUBuffer[] = [];
      const feeds: Record<string, OrtTensor> = {};
      try {
        for (const [name, f] of Object.entries(m.feeds)) feeds[name] = uploadFeed(ort, g.device, f as FeedLike, buffers);
      } catch (err) {
        await session.release();
        for (const b of buffers) b.destroy();
        throw err;
      }
      const disposeAll = (out: Record<string, OrtTensor>) => {
        for (const t of Object.values(out)) t.dispose();
      };
      return {
        opName: m.opName,
        call: timestamps
          ? async () => {
              const { result, ms } = await timePasses(g.device, () => session.run(feeds));
              disposeAll(result);
              return ms;
            }
          : async () => {
              const out = await session.run(feeds);
              await g.device.queue.onSubmittedWorkDone();
              disposeAll(out);
            },
        async outputs() {
          const out = await session.run(feeds);
          try {
            const values: Float32Array[] = [];
            for (const name of m.outputs) {
              const t = out[name];
              if (!t) throw new Error(`${m.opName} returned no output ${name}`);
              values.push(await readOutput(peer, t));
            }
            return values;
          } finally {
            disposeAll(out);
          }
        },
        async release() {
          await session.release();
          for (const b of buffers) b.destroy();
        },
      };
    },
    dispose: () => {},
  });
  return [make('ort-webgpu', 'Attention'), make('ort-webgpu-gqa', 'GroupQueryAttention')];
}
