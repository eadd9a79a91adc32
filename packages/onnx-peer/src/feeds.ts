/** Typed feeds and helpers that turn llama-ops-style (bshd, KV cache) data into ORT's inputs. */
import { fromFloat16Array, toFloat16Array } from '@llama-ops/core';
import type { OnnxElementType } from './onnx.js';

/** Data array per element type (`float16` is raw IEEE half bits). */
export interface OrtFeedData {
  float32: Float32Array;
  float16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
}

/** One input or output tensor in plain arrays, independent of the runtime. */
export type OrtFeed = {
  [T in OnnxElementType]: { readonly type: T; readonly data: OrtFeedData[T]; readonly dims: readonly number[] };
}[OnnxElementType];

/** Feeds by graph input name. */
export type OrtFeeds = Readonly<Record<string, OrtFeed>>;

/** A float32 feed. */
export const f32 = (data: Float32Array, dims: readonly number[]): OrtFeed => ({ type: 'float32', data, dims });
/** A float16 feed from float32 values (rounded to nearest even). */
export const f16 = (data: Float32Array, dims: readonly number[]): OrtFeed => ({ type: 'float16', data: toHalfBits(data), dims });
/** An int32 feed. */
export const i32 = (data: ArrayLike<number>, dims: readonly number[]): OrtFeed => ({ type: 'int32', data: Int32Array.from(data), dims });
/** An int64 feed from numbers. */
export const i64 = (data: ArrayLike<number>, dims: readonly number[]): OrtFeed => ({
  type: 'int64',
  data: BigInt64Array.from(Array.from(data, (x) => BigInt(x))),
  dims,
});

/** float32 -> IEEE half bits, round to nearest even (core's conversion). */
export const toHalfBits = (data: Float32Array): Uint16Array => toFloat16Array(data);

/** IEEE half bits -> float32 (core's conversion). */
export const fromHalfBits = (bits: Uint16Array): Float32Array => fromFloat16Array(bits);

/** Values of a float output as a Float32Array (f16 widened). */
export function toFloat32(feed: OrtFeed): Float32Array {
  if (feed.type === 'float32') return feed.data;
  if (feed.type === 'float16') return fromHalfBits(feed.data);
  return Float32Array.from(feed.data as ArrayLike<number | bigint>, Number);
}

/** Inputs of {@link gqaFeeds}: llama-ops-style bshd tensors and a KV cache length per batch. */
export interface GqaFeedsInput {
  /** `[batch, seqQ, headsQ, headDim]`. */
  q: Float32Array;
  /** KV cache `[batch, seqKV, headsKV, headDim]`; entries at `j >= kvLength[b]` are ignored. */
  k: Float32Array;
  /** `[batch, seqKV, headsKV, headDim]`. */
  v: Float32Array;
  batch: number;
  seqQ: number;
  seqKV: number;
  headsQ: number;
  headsKV: number;
  headDim: number;
  /** Valid keys per batch (each `>= seqQ`): the queries are the last `seqQ` of them. */
  kvLength: ArrayLike<number>;
  /** `[headsQ]` sink logits, for a model built with `sinks: true`. */
  sinks?: Float32Array;
  dtype?: 'float32' | 'float16';
}

/**
 * Split a bshd KV cache into GroupQueryAttention's `past_*` (BNSH, the first
 * `kvLength[b] - seqQ` entries) and new `key`/`value` (the last `seqQ` valid entries), plus
 * `seqlens_k = kvLength - 1` and `total_sequence_length = max(kvLength)`. Returns the feeds
 * and the `pastLength` to build the model with.
 */
export function gqaFeeds(input: GqaFeedsInput): { feeds: Record<string, OrtFeed>; pastLength: number } {
  const { batch: B, seqQ, seqKV, headsKV: Hkv, headDim: D } = input;
  const lens = Array.from(input.kvLength);
  const pastLength = Math.max(0, ...lens.map((l) => l - seqQ));
  const pastK = new Float32Array(B * Hkv * pastLength * D);
  const pastV = new Float32Array(B * Hkv * pastLength * D);
  const newK = new Float32Array(B * seqQ * Hkv * D);
  const newV = new Float32Array(B * seqQ * Hkv * D);
  for (let b = 0; b < B; b++) {
    const past = lens[b] - seqQ;
    if (past < 0 || lens[b] > seqKV) throw new RangeError(`kvLength[${b}] = ${lens[b]} must be in [seqQ, seqKV]`);
    for (let j = 0; j < lens[b]; j++) {
      for (let h = 0; h < Hkv; h++) {
        const src = ((b * seqKV + j) * Hkv + h) * D;
        const kRow = input.k.subarray(src, src + D);
        const vRow = input.v.subarray(src, src + D);
        if (j < past) {
          const dst = ((b * Hkv + h) * pastLength + j) * D;
          pastK.set(kRow, dst);
          pastV.set(vRow, dst);
        } else {
          const dst = ((b * seqQ + (j - past)) * Hkv + h) * D;
          newK.set(kRow, dst);
          newV.set(vRow, dst);
        }
      }
    }
  }
  const fl = input.dtype === 'float16' ? f16 : f32;
  const feeds: Record<string, OrtFeed> = {
    query: fl(input.q, [B, seqQ, input.headsQ * D]),
    key: fl(newK, [B, seqQ, Hkv * D]),
    value: fl(newV, [B, seqQ, Hkv * D]),
    past_key: fl(pastK, [B, Hkv, pastLength, D]),
    past_value: fl(pastV, [B, Hkv, pastLength, D]),
    seqlens_k: i32(
      lens.map((l) => l - 1),
      [B],
    ),
    total_sequence_length: i32([Math.max(...lens)], []),
  };
  if (input.sinks) feeds.head_sink = fl(input.sinks, [input.headsQ]);
  return { feeds, pastLength };
}
