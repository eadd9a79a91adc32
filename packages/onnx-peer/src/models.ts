/**
 * Builders of one-node ONNX models for the ops llama-ops implements, each returning the
 * encoded bytes plus the input/output descriptions a runner needs. Shapes are static:
 * build one model per shape (they are tiny and build in microseconds).
 *
 * Layout notes (where ORT's conventions differ from llama-ops'):
 * - llama-ops' `bshd` `[batch, seq, heads, headDim]` is bit-identical to ONNX's 3D
 *   `[batch, seq, heads * headDim]`, so every builder defaults to the 3D form (no transpose).
 * - RotaryEmbedding caches are half width `[rows, rotaryDim / 2]`.
 * - GroupQueryAttention's past K/V are `BNSH` and `seqlens_k` is the total length minus one.
 */
import { encodeModel, type OnnxAttribute, type OnnxElementType, type OnnxNode, type OnnxValueInfo } from './onnx.js';

/** Floating storage type of a model's float inputs/outputs. */
export type OnnxFloatType = 'float32' | 'float16';

/** A built one-node model. */
export interface OnnxModel {
  /** The ONNX op type, e.g. `RotaryEmbedding`. */
  readonly opType: string;
  /** ModelProto bytes for `InferenceSession.create`. */
  readonly bytes: Uint8Array;
  /** The graph inputs, in order, with their static dims. */
  readonly inputs: readonly OnnxValueInfo[];
  /** The graph outputs, in order. Symbolic dims (strings) where ORT decides the size. */
  readonly outputs: readonly OnnxValueInfo[];
}

function build(
  opType: string,
  domain: '' | 'com.microsoft',
  inputs: readonly (OnnxValueInfo | null)[],
  outputs: readonly (OnnxValueInfo | null)[],
  attributes: Record<string, OnnxAttribute>,
): OnnxModel {
  // Trailing omitted optional inputs are dropped; inner ones stay as '' placeholders.
  const ins = [...inputs];
  while (ins.length && ins[ins.length - 1] === null) ins.pop();
  const outs = [...outputs];
  while (outs.length && outs[outs.length - 1] === null) outs.pop();
  const node: OnnxNode = {
    opType,
    domain,
    inputs: ins.map((i) => i?.name ?? ''),
    outputs: outs.map((o) => o?.name ?? ''),
    attributes,
  };
  const graphInputs = ins.filter((i): i is OnnxValueInfo => i !== null);
  const graphOutputs = outs.filter((o): o is OnnxValueInfo => o !== null);
  const opsets: Record<string, number> = { '': 23 };
  if (domain === 'com.microsoft') opsets['com.microsoft'] = 1;
  const bytes = encodeModel({ name: opType, nodes: [node], inputs: graphInputs, outputs: graphOutputs, opsets });
  return { opType, bytes, inputs: graphInputs, outputs: graphOutputs };
}

const info = (name: string, type: OnnxElementType, dims: readonly (number | string)[]): OnnxValueInfo => ({ name, type, dims });

/** Options of {@link rmsNormalizationModel}. */
export interface RmsNormalizationModelOptions {
  /** Shape of `X`; normalised over the last axis. */
  shape: readonly number[];
  /** Default 1e-6 (llama-ops' default; ONNX's own default is 1e-5). */
  epsilon?: number;
  /** Default `float32`. */
  dtype?: OnnxFloatType;
}

/**
 * ONNX opset-23 `RMSNormalization`: inputs `X`, `scale [d]`; output `Y`. Computes in f32
 * (`stash_type = 1`). ONNX has no weight offset: pass `1 + weight` for Gemma.
 */
export function rmsNormalizationModel(o: RmsNormalizationModelOptions): OnnxModel {
  const t = o.dtype ?? 'float32';
  const d = o.shape[o.shape.length - 1];
  return build(
    'RMSNormalization',
    '',
    [info('X', t, o.shape), info('scale', t, [d])],
    [info('Y', t, o.shape)],
    { axis: { int: -1 }, epsilon: { float: o.epsilon ?? 1e-6 }, stash_type: { int: 1 } },
  );
}

/** Options of {@link skipSimplifiedLayerNormModel}. */
export interface SkipSimplifiedLayerNormModelOptions {
  /** Shape of `input` and `skip`: `[batch, seq, hidden]` or `[rows, hidden]`. */
  shape: readonly number[];
  /** Default 1e-6. */
  epsilon?: number;
  dtype?: OnnxFloatType;
}

/**
 * ORT contrib `com.microsoft.SkipSimplifiedLayerNormalization` (fused add + RMSNorm):
 * inputs `input`, `skip`, `gamma [hidden]`; outputs `output` (normalised sum) and
 * `input_skip_bias_sum` (the sum), like llama-ops' `addRmsnorm`.
 */
export function skipSimplifiedLayerNormModel(o: SkipSimplifiedLayerNormModelOptions): OnnxModel {
  const t = o.dtype ?? 'float32';
  const d = o.shape[o.shape.length - 1];
  return build(
    'SkipSimplifiedLayerNormalization',
    'com.microsoft',
    [info('input', t, o.shape), info('skip', t, o.shape), info('gamma', t, [d])],
    [info('output', t, o.shape), null, null, info('input_skip_bias_sum', t, o.shape)],
    { epsilon: { float: o.epsilon ?? 1e-6 } },
  );
}

/** Options of {@link rotaryEmbeddingModel}. */
export interface RotaryEmbeddingModelOptions {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  /** Rotated dims (even, `<= headDim`); default `headDim`. */
  rotaryDim?: number;
  /** true: pairs `(2i, 2i+1)`; false (default): pairs `(i, i + rotaryDim/2)`. */
  interleaved?: boolean;
  /**
   * `bshd` (default): `X` is 3D `[batch, seq, heads * headDim]` (llama-ops' layout, no transpose);
   * `bnsh`: `X` is 4D `[batch, heads, seq, headDim]`.
   */
  layout?: 'bshd' | 'bnsh';
  /**
   * How positions reach ORT. `positionIds` (default): caches `[maxPositions, rotaryDim/2]`
   * plus `position_ids [batch, seq]` (int64). `perToken`: no position ids, caches are
   * `[batch, seq, rotaryDim/2]` (one row per token; use it for huge positions).
   */
  cache?: { kind: 'positionIds'; maxPositions: number } | { kind: 'perToken' };
  dtype?: OnnxFloatType;
}

/**
 * ONNX opset-23 `RotaryEmbedding`. Inputs `X`, `cos_cache`, `sin_cache`, and `position_ids`
 * (int64, only with `cache.kind: 'positionIds'`); output `Y` shaped like `X`. Any attention
 * factor (YaRN/LongRoPE) is folded into the caches, as llama-ops' `RopeTable` does; build the
 * caches with {@link rotaryCaches}.
 */
export function rotaryEmbeddingModel(o: RotaryEmbeddingModelOptions): OnnxModel {
  const t = o.dtype ?? 'float32';
  const rotaryDim = o.rotaryDim ?? o.headDim;
  const half = rotaryDim / 2;
  const bnsh = o.layout === 'bnsh';
  const xDims = bnsh ? [o.batch, o.heads, o.seq, o.headDim] : [o.batch, o.seq, o.heads * o.headDim];
  const cache = o.cache ?? { kind: 'positionIds', maxPositions: o.seq };
  const cacheDims = cache.kind === 'positionIds' ? [cache.maxPositions, half] : [o.batch, o.seq, half];
  const attributes: Record<string, OnnxAttribute> = { interleaved: { int: o.interleaved ? 1 : 0 } };
  if (!bnsh) attributes.num_heads = { int: o.heads };
  if (rotaryDim !== o.headDim) attributes.rotary_embedding_dim = { int: rotaryDim };
  return build(
    'RotaryEmbedding',
    '',
    [
      info('X', t, xDims),
      info('cos_cache', t, cacheDims),
      info('sin_cache', t, cacheDims),
      cache.kind === 'positionIds' ? info('position_ids', 'int64', [o.batch, o.seq]) : null,
    ],
    [info('Y', t, xDims)],
    attributes,
  );
}

/**
 * Half-width cos/sin caches for {@link rotaryEmbeddingModel} / GQA's rotary inputs: row `r`
 * is `attentionFactor * cos(positions[r] * invFreq[i])`, angles in float64.
 * @param invFreq - `rotaryDim / 2` inverse frequencies (after scaling).
 * @param positions - one position per row (`0..maxPositions-1` for a position-id cache,
 *   or every token's position, `[batch * seq]`, for a per-token cache).
 */
export function rotaryCaches(
  invFreq: ArrayLike<number>,
  positions: ArrayLike<number>,
  attentionFactor = 1,
): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let r = 0; r < positions.length; r++) {
    for (let i = 0; i < half; i++) {
      const a = positions[r] * invFreq[i];
      cos[r * half + i] = attentionFactor * Math.cos(a);
      sin[r * half + i] = attentionFactor * Math.sin(a);
    }
  }
  return { cos, sin };
}

/** Options of {@link groupQueryAttentionModel}. */
export interface GroupQueryAttentionModelOptions {
  batch: number;
  /** New tokens per call (`query`, `key`, `value` sequence length). */
  seqQ: number;
  /**
   * Sequence length of the `past_key`/`past_value` buffers (BNSH); 0 for a first prompt.
   * Informational: the model declares it symbolic, so one model serves every past length.
   */
  pastLength?: number;
  headsQ: number;
  headsKV: number;
  /** Head dim of q, k and v (ORT's GQA requires `dv == d`). */
  headDim: number;
  /** Default `1 / sqrt(headDim)` (ORT's 0 means that too). */
  scale?: number;
  /** `softcap * tanh(score / softcap)`; default 0 = off. */
  softcap?: number;
  /**
   * Sliding window in SPEC.md's convention: a query at position `p` sees keys
   * `p - window < j <= p` (`window` keys counting its own). Written as ORT's
   * `local_window_size = window`: measured on onnxruntime 1.30 (CPU and WASM), a
   * `local_window_size` of L shows each query exactly L keys, although ORT's docs call it a
   * "left window size". Default: no window (`-1`).
   */
  window?: number;
  /** Add the `head_sink [headsQ]` input (gpt-oss sinks; ORT >= 1.23). */
  sinks?: boolean;
  dtype?: OnnxFloatType;
}

/**
 * ORT contrib `com.microsoft.GroupQueryAttention`: always causal, bottom-right aligned (the
 * `seqQ` new queries are the last positions of each batch's `seqlens_k + 1` tokens).
 * Inputs: `query [B, Sq, Hq*D]`, `key`/`value [B, Sq, Hkv*D]`, `past_key`/`past_value
 * [B, Hkv, pastLength, D]`, `seqlens_k [B]` int32 (= total length - 1), `total_sequence_length`
 * (int32 scalar), optional `head_sink [Hq]`. Outputs `output [B, Sq, Hq*D]`, `present_key`,
 * `present_value`. Build matching feeds from a bshd KV cache with {@link gqaFeeds}.
 */
export function groupQueryAttentionModel(o: GroupQueryAttentionModelOptions): OnnxModel {
  const t = o.dtype ?? 'float32';
  const { batch: B, seqQ, headsQ, headsKV, headDim: D } = o;
  const attributes: Record<string, OnnxAttribute> = {
    num_heads: { int: headsQ },
    kv_num_heads: { int: headsKV },
    local_window_size: { int: o.window ?? -1 },
  };
  if (o.scale !== undefined) attributes.scale = { float: o.scale };
  if (o.softcap) attributes.softcap = { float: o.softcap };
  return build(
    'GroupQueryAttention',
    'com.microsoft',
    [
      info('query', t, [B, seqQ, headsQ * D]),
      info('key', t, [B, seqQ, headsKV * D]),
      info('value', t, [B, seqQ, headsKV * D]),
      // Symbolic past length: ORT's shape inference would otherwise assume a shared
      // past/present buffer and warn that present is one longer than past.
      info('past_key', t, [B, headsKV, 'past_sequence_length', D]),
      info('past_value', t, [B, headsKV, 'past_sequence_length', D]),
      info('seqlens_k', 'int32', [B]),
      info('total_sequence_length', 'int32', []),
      null, // cos_cache
      null, // sin_cache
      null, // position_ids
      null, // attention_bias
      o.sinks ? info('head_sink', t, [headsQ]) : null,
    ],
    [
      info('output', t, [B, seqQ, headsQ * D]),
      info('present_key', t, [B, headsKV, 'total', D]),
      info('present_value', t, [B, headsKV, 'total', D]),
    ],
    attributes,
  );
}

/** Options of {@link attentionModel}. */
export interface AttentionModelOptions {
  batch: number;
  seqQ: number;
  seqKV: number;
  headsQ: number;
  headsKV: number;
  headDim: number;
  /** Default `headDim`. */
  headDimV?: number;
  /** Default `1 / sqrt(headDim)`. */
  scale?: number;
  /** ONNX `is_causal` (top-left aligned when `seqQ != seqKV` and there is no past). Default false. */
  causal?: boolean;
  /** Default 0 = off. */
  softcap?: number;
  /** Dims of an additive float `attn_mask` (broadcastable to `[B, Hq, Sq, Skv]`), or none. */
  maskDims?: readonly number[];
  dtype?: OnnxFloatType;
}

/**
 * ONNX opset-23 `Attention` with 3D (bshd-compatible) inputs: `Q [B, Sq, Hq*D]`,
 * `K [B, Skv, Hkv*D]`, `V [B, Skv, Hkv*Dv]`, optional `attn_mask`; output `Y [B, Sq, Hq*Dv]`.
 */
export function attentionModel(o: AttentionModelOptions): OnnxModel {
  const t = o.dtype ?? 'float32';
  const dv = o.headDimV ?? o.headDim;
  const attributes: Record<string, OnnxAttribute> = {
    q_num_heads: { int: o.headsQ },
    kv_num_heads: { int: o.headsKV },
    is_causal: { int: o.causal ? 1 : 0 },
  };
  if (o.scale !== undefined) attributes.scale = { float: o.scale };
  if (o.softcap) attributes.softcap = { float: o.softcap };
  return build(
    'Attention',
    '',
    [
      info('Q', t, [o.batch, o.seqQ, o.headsQ * o.headDim]),
      info('K', t, [o.batch, o.seqKV, o.headsKV * o.headDim]),
      info('V', t, [o.batch, o.seqKV, o.headsKV * dv]),
      o.maskDims ? info('attn_mask', t, o.maskDims) : null,
    ],
    [info('Y', t, [o.batch, o.seqQ, o.headsQ * dv])],
    attributes,
  );
}
