/**
 * The playground's ops: its options, inputs uploaded to a backend, the call, the float64
 * reference on the same stored inputs, and SPEC.md's bound of each element (the tolerance
 * coefficients are the conformance kit's, `@llama-ops/conformance/testing`).
 */
import type { Backend, Tensor } from '@llama-ops/core';
import { tolerance } from '@llama-ops/conformance/testing';
import type { HeatmapView } from './heatmap';
import { gqaPatternV, randn, rmsnormPattern, ropePattern, ropeScaling } from './inputs';

type Core = typeof import('@llama-ops/core');
type Reference = typeof import('@llama-ops/conformance/reference');
export type OpName = 'rmsnorm' | 'rope' | 'gqa';
export type DTypeName = 'f32' | 'f16';
/** 'pattern' inputs make the heatmap show what the op does; 'random' are standard normal. */
export type InputKind = 'pattern' | 'random';

/** The options of each op the page offers. */
export interface OpOptions {
  rmsnorm: { rows: number; hidden: number; eps: number; weightOffset: number; residual: boolean; scale: number };
  rope: { seq: number; heads: number; headDim: number; theta: number; rotaryDim: number; interleaved: boolean; start: number; scaling: string };
  gqa: {
    seqQ: number;
    seqKV: number;
    headsQ: number;
    headsKV: number;
    headDim: number;
    causal: boolean;
    window: number;
    softcap: number;
    sink: boolean;
    sinkValue: number;
    kvLength: number;
  };
}

/** The options the page starts with. */
export function defaultOptions(): OpOptions {
  return {
    rmsnorm: { rows: 64, hidden: 1024, eps: 1e-6, weightOffset: 0, residual: false, scale: 1 },
    rope: { seq: 64, heads: 8, headDim: 128, theta: 500000, rotaryDim: 128, interleaved: false, start: 0, scaling: 'llama3' },
    gqa: { seqQ: 32, seqKV: 64, headsQ: 8, headsKV: 2, headDim: 64, causal: true, window: 0, softcap: 0, sink: false, sinkValue: 1, kvLength: 64 },
  };
}

/** What to run. */
export interface OpRequest {
  op: OpName;
  dtype: DTypeName;
  inputs: InputKind;
  opts: OpOptions;
}

/** An op ready to run on a backend. */
export interface Prepared {
  /** Runs the op once on the backend; returns the output tensor. */
  run: () => Tensor;
  reference: () => Float64Array;
  /** Bound of element i (SPEC.md tolerances). */
  bound: (ref: Float64Array) => (i: number) => number;
  tolerance: string;
  view: HeatmapView & { label: string; gamma?: number };
  inputs: Tensor[];
}

/** Upload the inputs of `req` to `be` (rounded to f16 first when stored as f16, so the reference sees the same inputs). */
export function prepareOp(be: Backend, c: Core, r: Reference, req: OpRequest): Prepared {
  const { op, inputs, opts } = req;
  const dt = req.dtype;
  const tol = tolerance(op, dt);
  /** Values as stored: f16 storage rounds the inputs, and the reference must see the same inputs. */
  const stored = (x: Float32Array): Float32Array => (dt === 'f16' ? c.fromFloat16Array(c.toFloat16Array(x)) : x);
  const T = (data: Float32Array, shape: number[]) => be.tensor(data, shape, { dtype: dt });
  if (op === 'rmsnorm') {
    const o = opts.rmsnorm;
    const x = stored(inputs === 'random' ? randn(o.rows * o.hidden, 1, o.scale) : rmsnormPattern(o.rows, o.hidden, o.scale));
    const w = stored(randn(o.hidden, 2, 0.2).map((v) => v + 1));
    const res = o.residual ? stored(randn(o.rows * o.hidden, 3, o.scale)) : null;
    const tx = T(x, [o.rows, o.hidden]);
    const tw = T(w, [o.hidden]);
    const tr = res ? T(res, [o.rows, o.hidden]) : undefined;
    const options = { eps: o.eps, weightOffset: o.weightOffset };
    return {
      run: () => c.rmsnorm(tx, tw, { ...options, residual: tr }),
      reference: () => r.referenceRmsnorm(x, [o.rows, o.hidden], w, { ...options, residual: res ?? undefined }),
      bound: (ref) => (i) => tol * Math.max(1, Math.abs(ref[i])),
      tolerance: `${tol} · max(1, |ref|)`,
      view: { rows: o.rows, cols: o.hidden, stride: o.hidden, label: `all ${o.rows} rows × ${o.hidden}` },
      inputs: [tx, tw, ...(tr ? [tr] : [])],
    };
  }
  if (op === 'rope') {
    const o = opts.rope;
    const rotaryDim = Math.min(o.rotaryDim, o.headDim);
    const shape = [1, o.seq, o.heads, o.headDim];
    const x = stored(inputs === 'random' ? randn(o.seq * o.heads * o.headDim, 4) : ropePattern(o.seq, o.heads, o.headDim, rotaryDim, o.interleaved));
    const tx = T(x, shape);
    const options = { positions: o.start, theta: o.theta, rotaryDim, interleaved: o.interleaved, scaling: ropeScaling(o.scaling, rotaryDim) };
    return {
      run: () => c.rope(tx, options),
      reference: () => r.referenceRope(x, shape, options),
      bound: () => (i) => tol * Math.max(1, Math.abs(x[i])),
      tolerance: `${tol} · max(1, |x|)`,
      view: { rows: o.seq, cols: o.headDim, stride: o.heads * o.headDim, label: `head 0: ${o.seq} positions × ${o.headDim}` },
      inputs: [tx],
    };
  }
  const o = opts.gqa;
  const kvLength = Math.min(o.kvLength, o.seqKV);
  const shapes = { q: [1, o.seqQ, o.headsQ, o.headDim], k: [1, o.seqKV, o.headsKV, o.headDim], v: [1, o.seqKV, o.headsKV, o.headDim] };
  const q = stored(randn(o.seqQ * o.headsQ * o.headDim, 5));
  const k = stored(randn(o.seqKV * o.headsKV * o.headDim, 6));
  const v = stored(inputs === 'random' ? randn(o.seqKV * o.headsKV * o.headDim, 7) : gqaPatternV(o.seqKV, o.headsKV, o.headDim));
  const sinks = o.sink ? stored(new Float32Array(o.headsQ).fill(o.sinkValue)) : null;
  const [tq, tk, tv] = [T(q, shapes.q), T(k, shapes.k), T(v, shapes.v)];
  const ts = sinks ? T(sinks, [o.headsQ]) : undefined;
  const common = {
    causal: o.causal,
    kvLength,
    ...(o.causal && o.window > 0 ? { window: o.window } : {}),
    ...(o.softcap > 0 ? { softcap: o.softcap } : {}),
  };
  let maxV = 0;
  for (let i = 0; i < v.length; i++) maxV = Math.max(maxV, Math.abs(v[i]));
  return {
    run: () => c.gqa(tq, tk, tv, { ...common, sinks: ts }),
    reference: () => r.referenceGqa(q, k, v, shapes, { ...common, sinks: sinks ?? undefined }),
    bound: () => () => tol * Math.max(1, maxV),
    tolerance: `${tol} · max(1, max|v|)`,
    view: {
      gamma: inputs === 'pattern' ? 0.5 : 1,
      rows: o.seqQ,
      cols: o.headDim,
      stride: o.headsQ * o.headDim,
      label: inputs === 'pattern' ? `query head 0: row i = weights of query i over keys 0–${o.headDim - 1} (√ scale)` : `query head 0: ${o.seqQ} queries × ${o.headDim}`,
    },
    inputs: [tq, tk, tv, ...(ts ? [ts] : [])],
  };
}

/** The output shape of `op` with `opts`. */
export function outputShape(op: OpName, opts: OpOptions): number[] {
  if (op === 'rmsnorm') return [opts.rmsnorm.rows, opts.rmsnorm.hidden];
  if (op === 'rope') return [1, opts.rope.seq, opts.rope.heads, opts.rope.headDim];
  return [1, opts.gqa.seqQ, opts.gqa.headsQ, opts.gqa.headDim];
}
