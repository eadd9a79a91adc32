import { ShapeError, ValueError } from '../errors.js';
import {
  checkBoolean,
  checkNumber,
  checkOptions,
  checkPerBatchIntegers,
  checkSameBackendAndDType,
  checkTensor,
  formatShape,
} from '../validation.js';
import type { Tensor } from '../tensor.js';
import { checkOut, KernelCall } from './operands.js';

/** Options of {@link gqa}. */
export interface GqaOptions {
  /** Score scale. Default `1 / sqrt(headDim)`. */
  scale?: number;
  /** Causal masking (default true): query at position `p` sees keys `j <= p`. */
  causal?: boolean;
  /**
   * Number of valid keys, a scalar or one per batch (default `seqKV`): only the first
   * `kvLength` entries of `k`/`v` are read, so a preallocated KV cache is passed as is.
   */
  kvLength?: number | Int32Array | readonly number[];
  /**
   * Absolute position of query 0, a scalar or one per batch. Default `kvLength - seqQ`,
   * which aligns a query block with the end of the cache (bottom-right).
   */
  queryOffset?: number | Int32Array | readonly number[];
  /**
   * Sliding window: a query at position `p` sees keys `j` with `p - window < j <= p`
   * (`window` keys counting its own, as HF's `sliding_window`). Needs `causal: true`.
   */
  window?: number;
  /** Gemma-2 logit soft-capping: `score = softcap * tanh(score / softcap)`, before masking. */
  softcap?: number;
  /** Additive mask `[batch | 1, Hq | 1, seqQ, seqKV]`, added after softcapping. */
  mask?: Tensor;
  /** Per-query-head sink logits `[Hq]`: they join the softmax denominator only. */
  sinks?: Tensor;
  /**
   * Write the result `[batch, seqQ, Hq, headDimV]` into this tensor (same backend and dtype;
   * it may be a view) and return it. It must not overlap any input.
   */
  out?: Tensor;
}

const GQA_OPTIONS = ['scale', 'causal', 'kvLength', 'queryOffset', 'window', 'softcap', 'mask', 'sinks', 'out'] as const;

/**
 * Grouped-query attention (Ainslie et al. 2023): query head `h` attends with key/value head
 * `floor(h / (Hq / Hkv))`. `Hkv == Hq` is multi-head attention, `Hkv == 1` multi-query.
 * Softmax is computed with a running maximum, so any finite input gives finite output; a
 * query row with no visible key outputs zeros.
 *
 * @param q - `[batch, seqQ, Hq, headDim]`
 * @param k - `[batch, seqKV, Hkv, headDim]`
 * @param v - `[batch, seqKV, Hkv, headDimV]`
 * @returns `[batch, seqQ, Hq, headDimV]`
 * @example
 * const o = gqa(q, cache.k, cache.v, { kvLength: cache.length });
 */
export function gqa(q: Tensor, k: Tensor, v: Tensor, options?: GqaOptions): Tensor {
  const op = 'gqa';
  const o = checkOptions(op, options, GQA_OPTIONS);
  checkTensor(op, 'q', q, 4);
  checkTensor(op, 'k', k, 4);
  checkTensor(op, 'v', v, 4);
  const [batch, seqQ, headsQ, headDim] = q.shape;
  const [kBatch, seqKV, headsKV, kHeadDim] = k.shape;
  const [vBatch, vSeq, vHeads, headDimV] = v.shape;
  const kExpected = `[${batch}, seqKV, Hkv, ${headDim}] (batch and headDim of q ${formatShape(q.shape)})`;
  if (kBatch !== batch || kHeadDim !== headDim) {
    throw new ShapeError({ op, argument: 'k', expected: kExpected, actual: formatShape(k.shape) });
  }
  if (vBatch !== batch || vSeq !== seqKV || vHeads !== headsKV) {
    throw new ShapeError({
      op,
      argument: 'v',
      expected: `[${batch}, ${seqKV}, ${headsKV}, dv] (batch of q, seqKV and Hkv of k)`,
      actual: formatShape(v.shape),
    });
  }
  if (headsQ % headsKV !== 0) {
    throw new ShapeError({
      op,
      argument: 'k',
      expected: `Hkv dividing Hq = ${headsQ} (Hq % Hkv == 0)`,
      actual: `Hkv = ${headsKV} (Hq % Hkv = ${headsQ % headsKV})`,
    });
  }
  const inputs: Array<readonly [string, Tensor]> = [
    ['q', q],
    ['k', k],
    ['v', v],
  ];

  let maskBatch = 1;
  let maskHeads = 1;
  if (o.mask !== undefined) {
    checkTensor(op, 'options.mask', o.mask, 4);
    const [mb, mh, mq, mk] = o.mask.shape;
    if ((mb !== 1 && mb !== batch) || (mh !== 1 && mh !== headsQ) || mq !== seqQ || mk !== seqKV) {
      throw new ShapeError({
        op,
        argument: 'options.mask',
        expected: `[${batch} | 1, ${headsQ} | 1, ${seqQ}, ${seqKV}]`,
        actual: formatShape(o.mask.shape),
      });
    }
    maskBatch = mb;
    maskHeads = mh;
    inputs.push(['options.mask', o.mask]);
  }
  if (o.sinks !== undefined) {
    checkTensor(op, 'options.sinks', o.sinks, 1);
    if (o.sinks.shape[0] !== headsQ) {
      throw new ShapeError({ op, argument: 'options.sinks', expected: `[${headsQ}] (Hq)`, actual: formatShape(o.sinks.shape) });
    }
    inputs.push(['options.sinks', o.sinks]);
  }
  const { backend, dtype } = checkSameBackendAndDType(op, inputs);

  const scale = o.scale === undefined ? 1 / Math.sqrt(headDim) : checkNumber(op, 'options.scale', o.scale, { min: 0, minExclusive: true });
  const causal = o.causal === undefined ? true : checkBoolean(op, 'options.causal', o.causal);
  const kvLength =
    o.kvLength === undefined ? new Int32Array(batch).fill(seqKV) : checkPerBatchIntegers(op, 'options.kvLength', o.kvLength, batch, 0, seqKV);
  const queryOffset =
    o.queryOffset === undefined
      ? kvLength.map((len) => len - seqQ)
      : checkPerBatchIntegers(op, 'options.queryOffset', o.queryOffset, batch, -(2 ** 30), 2 ** 30);
  let window = 0;
  if (o.window !== undefined && o.window !== Infinity) {
    window = checkNumber(op, 'options.window', o.window, { integer: true, min: 1, max: 2 ** 30 });
    if (!causal) {
      throw new ValueError({
        op,
        argument: 'options.window',
        expected: 'causal: true (the window is p - window < j <= p)',
        actual: 'causal: false',
      });
    }
  }
  const softcap = o.softcap === undefined ? 0 : checkNumber(op, 'options.softcap', o.softcap, { min: 0, minExclusive: true });

  const outShape = [batch, seqQ, headsQ, headDimV];
  const userOut = checkOut(op, 'options.out', o.out, backend, outShape, dtype, inputs);
  const call = new KernelCall(op, backend);
  const qs = call.input(q, headsQ * headDim);
  const ks = call.input(k, headsKV * headDim);
  const vs = call.input(v, headsKV * headDimV);
  const ms = o.mask ? call.input(o.mask, { contiguous: seqKV }) : null;
  const ss = o.sinks ? call.input(o.sinks, { contiguous: headsQ }) : null;
  const out = userOut ?? call.create(outShape, dtype);
  const os = call.output(out, headsQ * headDimV);
  call.run(() =>
    backend.kernels.gqa({
      q: qs.storage,
      k: ks.storage,
      v: vs.storage,
      out: os.storage,
      mask: ms ? ms.storage : null,
      maskBatch,
      maskHeads,
      sinks: ss ? ss.storage : null,
      batch,
      seqQ,
      seqKV,
      headsQ,
      headsKV,
      headDim,
      headDimV,
      scale,
      causal,
      window,
      softcap,
      kvLength,
      queryOffset,
      dtype,
      layout: {
        q: qs.layout,
        k: ks.layout,
        v: vs.layout,
        out: os.layout,
        mask: ms ? ms.layout : { offset: 0, rowStride: seqKV },
        sinks: ss ? ss.layout : { offset: 0, rowStride: headsQ },
      },
    }),
  );
  return out;
}
