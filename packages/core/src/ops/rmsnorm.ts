import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkNumber, checkOptions, checkSameBackendAndDType, checkShapeEquals, checkTensor, formatShape } from '../validation.js';
import { absent, checkOut, KernelCall } from './operands.js';

/** Options of {@link rmsnorm} and {@link addRmsnorm}. */
export interface RmsnormOptions {
  /** Added to the mean square before the square root. Default `1e-6`. */
  eps?: number;
  /** Added to the weight: 0 for Llama (default), 1 for Gemma (scale is `1 + weight`). */
  weightOffset?: number;
}

/** Options of {@link rmsnorm}, which may also add a residual first (without returning the sum). */
export interface RmsnormWithResidualOptions extends RmsnormOptions {
  /** Added to `x` before normalising (same shape as `x`). */
  residual?: Tensor;
  /**
   * Write the result into this tensor (shape and dtype of `x`, same backend; it may be a
   * view) and return it, instead of allocating a new one. It must not overlap the inputs.
   */
  out?: Tensor;
}

/** Options of {@link addRmsnorm}. */
export interface AddRmsnormOptions extends RmsnormOptions {
  /** Write the normalised sum here (shape and dtype of `x`) instead of a new tensor. */
  outY?: Tensor;
  /** Write `x + residual` here (shape and dtype of `x`) instead of a new tensor. */
  outSum?: Tensor;
}

/** Result of {@link addRmsnorm}. */
export interface AddRmsnormResult {
  /** The normalised `x + residual`. */
  y: Tensor;
  /** `x + residual`, the next residual stream. */
  sum: Tensor;
}

/** Default `eps` of RMSNorm (SPEC.md). */
export const DEFAULT_RMSNORM_EPS = 1e-6;

const RMSNORM_OPTIONS = ['eps', 'weightOffset', 'residual', 'out'] as const;
const ADD_RMSNORM_OPTIONS = ['eps', 'weightOffset', 'outY', 'outSum'] as const;

function prepare(op: string, x: unknown, weight: unknown, residual: unknown, options: RmsnormOptions | undefined, known: readonly string[]) {
  const o = checkOptions(op, options, known);
  checkTensor(op, 'x', x);
  checkTensor(op, 'weight', weight, 1);
  const hidden = x.shape[x.shape.length - 1];
  if (weight.shape[0] !== hidden) {
    throw new ShapeError({
      op,
      argument: 'weight',
      expected: `[${hidden}] (the last dimension of x ${formatShape(x.shape)})`,
      actual: formatShape(weight.shape),
    });
  }
  const inputs: Array<readonly [string, Tensor]> = [
    ['x', x],
    ['weight', weight],
  ];
  if (residual !== undefined) {
    checkTensor(op, 'residual', residual);
    checkShapeEquals(op, 'residual', residual, x.shape);
    inputs.push(['residual', residual]);
  }
  const { backend, dtype } = checkSameBackendAndDType(op, inputs);
  const eps = o.eps === undefined ? DEFAULT_RMSNORM_EPS : checkNumber(op, 'options.eps', o.eps, { min: 0 });
  const weightOffset = o.weightOffset === undefined ? 0 : checkNumber(op, 'options.weightOffset', o.weightOffset);
  return { backend, dtype, x, weight, hidden, rows: x.size / hidden, eps, weightOffset, inputs };
}

/**
 * Root-mean-square normalisation over the last axis (Zhang & Sennrich 2019):
 * `y = h / sqrt(mean(h^2) + eps) * (weight + weightOffset)` with `h = x (+ residual)`.
 * No mean is subtracted and there is no bias (that would be LayerNorm).
 *
 * @param x - `[..., hidden]`
 * @param weight - `[hidden]`
 * @returns a new tensor shaped like `x`, on `x`'s backend.
 * @example
 * const y = rmsnorm(x, w, { eps: 1e-5 });
 */
export function rmsnorm(x: Tensor, weight: Tensor, options?: RmsnormWithResidualOptions): Tensor {
  const op = 'rmsnorm';
  const residual = options?.residual;
  const p = prepare(op, x, weight, residual, options, RMSNORM_OPTIONS);
  const userOut = checkOut(op, 'options.out', options?.out, p.backend, p.x.shape, p.dtype, p.inputs);
  const call = new KernelCall(op, p.backend);
  const xs = call.input(p.x, p.hidden);
  const rs = residual ? call.input(residual, p.hidden) : null;
  const ws = call.input(p.weight, { contiguous: p.hidden });
  const out = userOut ?? call.create(p.x.shape, p.dtype);
  const os = call.output(out, p.hidden);
  call.run(() =>
    p.backend.kernels.rmsnorm({
      x: xs.storage,
      residual: rs ? rs.storage : null,
      weight: ws.storage,
      out: os.storage,
      sum: null,
      rows: p.rows,
      hidden: p.hidden,
      eps: p.eps,
      weightOffset: p.weightOffset,
      dtype: p.dtype,
      layout: { x: xs.layout, residual: rs ? rs.layout : absent(p.hidden), weight: ws.layout, out: os.layout, sum: absent(p.hidden) },
    }),
  );
  return out;
}

/**
 * Fused add & RMSNorm, as every decoder layer does twice: returns both the normalised
 * sum and the sum itself, reading each input once.
 *
 * @param x - `[..., hidden]`
 * @param residual - same shape as `x`
 * @param weight - `[hidden]`
 * @example
 * const { y, sum } = addRmsnorm(x, residual, w, { eps: 1e-5 });
 */
export function addRmsnorm(x: Tensor, residual: Tensor, weight: Tensor, options?: AddRmsnormOptions): AddRmsnormResult {
  const op = 'addRmsnorm';
  if (residual === undefined) checkTensor(op, 'residual', residual);
  const p = prepare(op, x, weight, residual, options, ADD_RMSNORM_OPTIONS);
  const outY = checkOut(op, 'options.outY', options?.outY, p.backend, p.x.shape, p.dtype, p.inputs);
  const outSum = checkOut(op, 'options.outSum', options?.outSum, p.backend, p.x.shape, p.dtype, [...p.inputs, ['options.outY', outY]]);
  const call = new KernelCall(op, p.backend);
  const xs = call.input(p.x, p.hidden);
  const rs = call.input(residual, p.hidden);
  const ws = call.input(p.weight, { contiguous: p.hidden });
  const y = outY ?? call.create(p.x.shape, p.dtype);
  const sum = outSum ?? call.create(p.x.shape, p.dtype);
  const ys = call.output(y, p.hidden);
  const ss = call.output(sum, p.hidden);
  call.run(() =>
    p.backend.kernels.rmsnorm({
      x: xs.storage,
      residual: rs.storage,
      weight: ws.storage,
      out: ys.storage,
      sum: ss.storage,
      rows: p.rows,
      hidden: p.hidden,
      eps: p.eps,
      weightOffset: p.weightOffset,
      dtype: p.dtype,
      layout: { x: xs.layout, residual: rs.layout, weight: ws.layout, out: ys.layout, sum: ss.layout },
    }),
  );
  return { y, sum };
}
