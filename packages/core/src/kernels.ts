/**
 * The narrow interface a backend implements. Core validates every input and resolves
 * every default before it calls these methods, so a backend holds no defaults and no
 * validation: every field here is final, and every storage handle is live.
 *
 * A backend may run kernels eagerly or queue them; it must run them in call order, and
 * {@link KernelBackend.read} must observe every kernel called before it.
 */

/** Element type of a tensor's storage. Arithmetic is always at least f32. */
export type DType = 'f32' | 'f16';

/**
 * A GPU buffer as core sees it: an opaque handle. Importing `@llama-ops/backend-webgpu`'s
 * types turns this into WebGPU's `GPUBuffer` (declaration merging), so
 * `tensor.gpuBuffer` and `backend.fromGPUBuffer()` are typed there.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by @llama-ops/backend-webgpu
export interface GpuBufferHandle {}

/** What a backend can do, reported by `backend.capabilities`. */
export interface BackendCapabilities {
  /** Storage dtypes this backend accepts; always includes `'f32'`. */
  readonly dtypes: readonly DType[];
  /** Number of threads (CPU/WASM) the kernels may use. */
  readonly threads?: number;
  /** Whether SIMD kernels are in use (WASM). */
  readonly simd?: boolean;
  /** GPU adapter description (WebGPU). */
  readonly adapter?: {
    readonly vendor?: string;
    readonly architecture?: string;
    readonly device?: string;
    readonly description?: string;
  };
  /**
   * True when the GPU adapter is a software rasteriser (SwiftShader, lavapipe/llvmpipe): it
   * computes correctly, but far slower than a GPU, so its timings say nothing about GPU speed.
   * Reported by GPU backends (WebGPU: from the adapter's info; false when the adapter does not
   * say what it is); absent for CPU and WASM backends. Read it instead of matching adapter names.
   */
  readonly software?: boolean;
  /** Optional features the device has enabled (e.g. `shader-f16`, `subgroups`). */
  readonly features?: readonly string[];
  /** Device limits in force (WebGPU: the limits requested from the adapter). */
  readonly limits?: Readonly<Record<string, number>>;
  /** True once the device is lost; a new backend must then be created. */
  readonly lost?: boolean;
  /** Human-readable notes, e.g. why threads are off. */
  readonly notes?: readonly string[];
  /**
   * True when the kernels honour every {@link OperandLayout} and `CopyKernelParams.rows`: they
   * read and write operands at an element offset with a row stride (views, `out` tensors that
   * are views). When absent or false, core hands such a backend dense copies only (offset 0,
   * dense rows), copying views in and out with `copy`, so every backend supports views.
   */
  readonly views?: boolean;
}

/**
 * Where an operand's elements lie in its storage: row `r` starts at element
 * `offset + r * rowStride` and its elements are contiguous. A "row" is the unit the op walks:
 * a row of `hidden` values for RMSNorm, a token (`heads * headDim` values) for RoPE and GQA.
 * Dense operands have `offset` 0 and `rowStride` equal to the row's length. Backends that do
 * not declare `capabilities.views` only ever receive dense layouts.
 */
export interface OperandLayout {
  /** Element (not byte) offset of the operand's first element in its storage. */
  readonly offset: number;
  /** Elements from the start of one row to the start of the next (>= the row's length). */
  readonly rowStride: number;
}

/** A region of a tensor's storage to read or write: `rows` rows of `rowSize` elements. */
export interface StorageRegion extends OperandLayout {
  readonly rows: number;
  /** Contiguous elements per row. */
  readonly rowSize: number;
}

/** RMSNorm over rows of `hidden` elements; `residual`/`sum` are set for the fused add+norm. */
export interface RmsnormKernelParams<S> {
  readonly x: S;
  /** Added to `x` before normalising; `null` for plain RMSNorm. */
  readonly residual: S | null;
  readonly weight: S;
  readonly out: S;
  /** Receives `x + residual` when not `null` (only when `residual` is given). */
  readonly sum: S | null;
  readonly rows: number;
  readonly hidden: number;
  readonly eps: number;
  readonly weightOffset: number;
  readonly dtype: DType;
  /**
   * Where each operand lies (rows of `hidden`). `weight` is always contiguous; `residual` and
   * `sum` have dense layouts when they are `null`.
   */
  readonly layout: {
    readonly x: OperandLayout;
    readonly residual: OperandLayout;
    readonly weight: OperandLayout;
    readonly out: OperandLayout;
    readonly sum: OperandLayout;
  };
}

/**
 * Cos/sin of every (token, pair) angle, computed by core in float64 and rounded once to
 * float32, with the scaling's attention factor already multiplied in.
 * Row `r`, pair `i` is at index `r * pairs + i`.
 */
export interface RopeTable {
  /** `attentionFactor * cos(position * invFreq[i])`, `[rows, pairs]`. */
  readonly cos: Float32Array;
  /** `attentionFactor * sin(position * invFreq[i])`, `[rows, pairs]`. */
  readonly sin: Float32Array;
  /** Number of rows. `seq` when `perToken` is false, `batch * seq` when true. */
  readonly rows: number;
  /** `rotaryDim / 2`. */
  readonly pairs: number;
  /**
   * false: token `(b, s)` uses row `s` (positions are `start + s` for every batch);
   * true: token `(b, s)` uses row `b * seq + s` (explicit positions).
   */
  readonly perToken: boolean;
  /**
   * A key that is equal for equal tables, for backends that cache uploaded tables.
   * `null` when the table was built from explicit positions and is not cached.
   */
  readonly key: string | null;
  /**
   * The final per-pair inverse frequencies (float64), after scaling. The built-in backends
   * read only `cos`/`sin`; this (the scaling's own array, not a copy) stays for backends that
   * form angles themselves, e.g. on the device for explicit positions. Public since 0.1.0.
   */
  readonly invFreq: Float64Array;
  /** The attention factor already folded into `cos`/`sin` (read by no built-in backend; see `invFreq`). */
  readonly attentionFactor: number;
}

/** RoPE on `x [batch, seq, heads, headDim]`; `out` may be the same storage as `x` (in place). */
export interface RopeKernelParams<S> {
  readonly x: S;
  readonly out: S;
  readonly batch: number;
  readonly seq: number;
  readonly heads: number;
  readonly headDim: number;
  /** Even, `<= headDim`; dims `[rotaryDim, headDim)` are copied unchanged. */
  readonly rotaryDim: number;
  /** true: pairs `(2i, 2i+1)`; false: pairs `(i, i + rotaryDim/2)`. */
  readonly interleaved: boolean;
  readonly table: RopeTable;
  readonly dtype: DType;
  /**
   * Where `x` and `out` lie (rows are tokens of `heads * headDim`). When `out` is the same
   * storage as `x`, their layouts are equal (in place).
   */
  readonly layout: { readonly x: OperandLayout; readonly out: OperandLayout };
}

/**
 * Grouped-query attention. Layout `bshd`: q `[batch, seqQ, headsQ, headDim]`,
 * k `[batch, seqKV, headsKV, headDim]`, v `[batch, seqKV, headsKV, headDimV]`,
 * out `[batch, seqQ, headsQ, headDimV]`.
 *
 * Query `i` of batch `b` sits at absolute position `p = queryOffset[b] + i` and sees key
 * `j` iff `j < kvLength[b]`, and (when `causal`) `j <= p`, and (when `window > 0`)
 * `j > p - window`. A row that sees no key is written as zeros.
 */
export interface GqaKernelParams<S> {
  readonly q: S;
  readonly k: S;
  readonly v: S;
  readonly out: S;
  /** Additive mask `[maskBatch, maskHeads, seqQ, seqKV]`, or `null`. */
  readonly mask: S | null;
  /** 1 (broadcast) or `batch`. */
  readonly maskBatch: number;
  /** 1 (broadcast) or `headsQ`. */
  readonly maskHeads: number;
  /** Per-query-head logit `[headsQ]` that joins the softmax denominator only, or `null`. */
  readonly sinks: S | null;
  readonly batch: number;
  readonly seqQ: number;
  readonly seqKV: number;
  readonly headsQ: number;
  readonly headsKV: number;
  readonly headDim: number;
  readonly headDimV: number;
  readonly scale: number;
  readonly causal: boolean;
  /** Number of visible keys counting the query's own position; 0 = no window. */
  readonly window: number;
  /** `score = softcap * tanh(score / softcap)` before masking; 0 = no softcap. */
  readonly softcap: number;
  /** Valid keys per batch, each in `[0, seqKV]`. */
  readonly kvLength: Int32Array;
  /** Absolute position of query 0, per batch. */
  readonly queryOffset: Int32Array;
  readonly dtype: DType;
  /**
   * Where each operand lies. Rows of q, k, v and out are tokens (`heads * headDim` values);
   * `mask` and `sinks` are always contiguous (only their `offset` may be non-zero).
   */
  readonly layout: {
    readonly q: OperandLayout;
    readonly k: OperandLayout;
    readonly v: OperandLayout;
    readonly out: OperandLayout;
    readonly mask: OperandLayout;
    readonly sinks: OperandLayout;
  };
}

/**
 * Copy `rows` rows of `count` elements (same dtype): row `r` goes from
 * `src[srcOffset + r * srcRowStride ..]` to `dst[dstOffset + r * dstRowStride ..]`.
 * `src` and `dst` may be the same storage; copied ranges of one call never overlap.
 * Backends that do not declare `capabilities.views` only receive `rows: 1`.
 */
export interface CopyKernelParams<S> {
  readonly src: S;
  readonly srcOffset: number;
  readonly dst: S;
  readonly dstOffset: number;
  /** Elements per row. */
  readonly count: number;
  readonly dtype: DType;
  /** Number of rows (1 for a plain copy of `count` elements). */
  readonly rows: number;
  readonly srcRowStride: number;
  readonly dstRowStride: number;
}

/**
 * What a backend package implements. `S` is the backend's own storage handle (a
 * Float32Array, a wasm pointer, a GPUBuffer...). Wrap an implementation with
 * `defineBackend(kernels)` to get the user-facing {@link Backend}.
 */
export interface KernelBackend<S = unknown> {
  /** Short name, e.g. `cpu`. */
  readonly name: string;
  /**
   * The implementing package's version (e.g. `0.2.0`). Verdicts of the conformance probe
   * are cached per backend version; a backend without one is probed every time.
   */
  readonly version?: string;
  /** Current capabilities (may change, e.g. when a GPU device is lost). */
  readonly capabilities: BackendCapabilities;
  /** Store `data` (length = element count) as a new tensor of `dtype`. */
  upload(data: Float32Array, dtype: DType): S;
  /** Allocate zero-filled storage for `size` elements of `dtype`. */
  allocate(size: number, dtype: DType): S;
  /** Read `size` elements back as float32, after all kernels queued so far. */
  read(storage: S, size: number, dtype: DType): Promise<Float32Array>;
  /**
   * Read `region` of `storage` as float32 into `into` (its length is `rows * rowSize`), after
   * all kernels queued so far, without allocating an output array. It honours the region's
   * offset and row stride whatever `capabilities.views` says. Optional: without it core reads
   * through {@link KernelBackend.read} (of a dense copy, for views) and copies.
   */
  readInto?(storage: S, region: StorageRegion, dtype: DType, into: Float32Array): Promise<void>;
  /** {@link KernelBackend.readInto}, synchronously (host-memory backends: cpu, wasm). */
  readSync?(storage: S, region: StorageRegion, dtype: DType, into: Float32Array): void;
  /**
   * Write `data` (length `rows * rowSize`, float32) into `region` of `storage`, ordered after
   * every kernel queued so far and before every later one; it honours the region's offset
   * and row stride. Optional: without it core uploads a temporary and copies it in.
   */
  write?(storage: S, region: StorageRegion, dtype: DType, data: Float32Array): void;
  /**
   * A zero-copy `Float32Array` over `size` f32 elements of `storage` starting at element
   * `offset` (host-memory backends). Valid until the storage is freed or the backend's memory
   * moves (see the backend's documentation).
   */
  hostView?(storage: S, offset: number, size: number): Float32Array;
  /** The GPU buffer behind `storage` and the byte offset where its elements start (GPU backends). */
  gpuBufferOf?(storage: S): { readonly buffer: GpuBufferHandle; readonly byteOffset: number };
  /**
   * Wrap a caller's GPU buffer as storage without copying; `free` must never destroy it.
   * Checks that the buffer belongs to this backend's device and has the usages tensors need,
   * throwing typed errors otherwise. Returns the storage and its capacity in elements.
   */
  wrapGpuBuffer?(buffer: GpuBufferHandle, dtype: DType, op: string): { readonly storage: S; readonly capacity: number };
  /** The most bytes of tensors this backend can hold (e.g. wasm's 4 GiB), when it has a fixed limit. */
  readonly capacityBytes?: number;
  /** Release storage. Called once per storage. */
  free(storage: S): void;
  copy(params: CopyKernelParams<S>): void;
  rmsnorm(params: RmsnormKernelParams<S>): void;
  rope(params: RopeKernelParams<S>): void;
  gqa(params: GqaKernelParams<S>): void;
  /** Resolve once every kernel queued so far has finished (default: already done). */
  sync?(): Promise<void>;
  /** Release everything the backend holds (worker threads, GPU device...). */
  dispose?(): void;
}
