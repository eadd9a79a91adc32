/**
 * Runs an {@link OnnxModel} on onnxruntime-node (native CPU EP) or onnxruntime-web (WASM EP,
 * also in Node). Each runtime is imported lazily, so using one never loads the other.
 */
import type { OnnxModel } from './models.js';
import type { OrtFeed, OrtFeeds } from './feeds.js';
import type { OnnxElementType } from './onnx.js';

/** Which onnxruntime: `node` (native, onnxruntime-node) or `web` (WASM, onnxruntime-web). */
export type OrtRuntime = 'node' | 'web';

/** Options of {@link createOrtRunner}. */
export interface OrtRunnerOptions {
  runtime: OrtRuntime;
  /** The model to load (a built model or raw ModelProto bytes). */
  model: OnnxModel | Uint8Array;
  /**
   * Threads. `node`: the session's intra-op threads (default: ORT's choice, all cores).
   * `web`: `ort.env.wasm.numThreads`, which ORT fixes at its first session in the process;
   * the thread count actually in force is reported in {@link OrtRunner.threads}.
   */
  threads?: number;
}

/** Runtime tensors prepared once (see {@link OrtRunner.prepare}), for timing loops. */
export interface PreparedFeeds {
  readonly [PREPARED]: true;
  /** @internal runtime-specific tensors */
  readonly tensors: Record<string, unknown>;
}

const PREPARED: unique symbol = Symbol('onnx-peer.prepared');

/** A loaded session that can run many times. */
export interface OrtRunner {
  readonly runtime: OrtRuntime;
  /** Threads in force (`undefined` = ORT's default). */
  readonly threads: number | undefined;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Convert plain feeds to runtime tensors once; pass the result to {@link OrtRunner.run}. */
  prepare(feeds: OrtFeeds): PreparedFeeds;
  /** Run the model; outputs by name, as plain arrays. */
  run(feeds: OrtFeeds | PreparedFeeds): Promise<Record<string, OrtFeed>>;
  /** Free the session. */
  release(): Promise<void>;
}

interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtModule {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: {
    create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<{
      inputNames: readonly string[];
      outputNames: readonly string[];
      run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
      release(): Promise<void>;
    }>;
  };
  env: { wasm: { numThreads?: number }; logLevel?: string };
}

let webThreads: number | undefined;
let webInitialised = false;

async function loadRuntime(runtime: OrtRuntime): Promise<OrtModule> {
  // Variable specifiers keep bundlers from pulling both runtimes in.
  const name = runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  const mod = (await import(/* @vite-ignore */ name)) as OrtModule & { default?: OrtModule };
  return mod.InferenceSession ? mod : (mod.default as OrtModule);
}

const FLOAT_TYPES = new Set<OnnxElementType>(['float32', 'float16', 'int32', 'int64']);

/**
 * Create a session for `options.model` on the chosen runtime.
 * @example
 * const model = rmsNormalizationModel({ shape: [4, 4096] });
 * const ort = await createOrtRunner({ runtime: 'web', model, threads: 1 });
 * const { Y } = await ort.run({ X: f32(x, [4, 4096]), scale: f32(w, [4096]) });
 * await ort.release();
 */
export async function createOrtRunner(options: OrtRunnerOptions): Promise<OrtRunner> {
  const { runtime } = options;
  const ort = await loadRuntime(runtime);
  const bytes = options.model instanceof Uint8Array ? options.model : options.model.bytes;
  // Severity 3 (errors only): shape-inference warnings would flood test and bench logs.
  const sessionOptions: Record<string, unknown> = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  let threads: number | undefined = options.threads;
  if (runtime === 'node') {
    sessionOptions.executionProviders = ['cpu'];
    if (threads !== undefined) {
      sessionOptions.intraOpNumThreads = threads;
      sessionOptions.interOpNumThreads = 1;
    }
  } else {
    sessionOptions.executionProviders = ['wasm'];
    if (!webInitialised) {
      if (threads !== undefined) ort.env.wasm.numThreads = threads;
      webInitialised = true;
      webThreads = ort.env.wasm.numThreads;
    }
    threads = webThreads;
  }
  const session = await ort.InferenceSession.create(bytes, sessionOptions);

  const toTensors = (feeds: OrtFeeds): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(feeds)) out[name] = new ort.Tensor(f.type, f.data, f.dims);
    return out;
  };
  const isPrepared = (f: OrtFeeds | PreparedFeeds): f is PreparedFeeds => (f as PreparedFeeds)[PREPARED] === true;

  return {
    runtime,
    threads,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    prepare: (feeds) => ({ [PREPARED]: true, tensors: toTensors(feeds) }),
    async run(feeds) {
      const tensors = isPrepared(feeds) ? feeds.tensors : toTensors(feeds as OrtFeeds);
      const results = await session.run(tensors);
      const out: Record<string, OrtFeed> = {};
      for (const [name, t] of Object.entries(results)) {
        const type = t.type as OnnxElementType;
        if (!FLOAT_TYPES.has(type)) throw new Error(`onnx-peer: output ${name} has unsupported type ${t.type}`);
        out[name] = { type, data: t.data, dims: [...t.dims] } as OrtFeed;
      }
      return out;
    },
    release: () => session.release(),
  };
}

/**
 * One-shot: create a session, run it once, release it.
 * @returns outputs by name.
 */
export async function runOrt(
  runtime: OrtRuntime,
  model: OnnxModel | Uint8Array,
  feeds: OrtFeeds,
  options: { threads?: number } = {},
): Promise<Record<string, OrtFeed>> {
  const runner = await createOrtRunner({ runtime, model, threads: options.threads });
  try {
    return await runner.run(feeds);
  } finally {
    await runner.release();
  }
}
