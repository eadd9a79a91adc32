import { ShapeError } from '../errors.js';
import {
  checkNumber,
  checkOptions,
  checkSameBackendAndDType,
  checkShapeEquals,
  checkTensor,
  formatShape,
} from '../shape.js';
import type { Tensor } from '../tensor.js';

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

function prepare(op: string, x: unknown, weight: unknown, residual: unknown, options: RmsnormOptions | undefined) {
  const o = checkOptions(op, options);
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
  return { backend, dtype, x, weight, hidden, rows: x.size / hidden, eps, weightOffset };
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
  const residual = options?.residual;
  const p = prepare('rmsnorm', x, weight, residual, options);
  const out = p.backend.empty(p.x.shape, { dtype: p.dtype });
  p.backend.kernels.rmsnorm({
    x: p.x.storage,
    residual: residual ? residual.storage : null,
    weight: p.weight.storage,
    out: out.storage,
    sum: null,
    rows: p.rows,
    hidden: p.hidden,
    eps: p.eps,
    weightOffset: p.weightOffset,
    dtype: p.dtype,
  });
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
export function addRmsnorm(x: Tensor, residual: Tensor, weight: Tensor, options?: RmsnormOptions): AddRmsnormResult {
  if (residual === undefined) checkTensor('addRmsnorm', 'residual', residual);
  const p = prepare('addRmsnorm', x, weight, residual, options);
  const y = p.backend.empty(p.x.shape, { dtype: p.dtype });
  const sum = p.backend.empty(p.x.shape, { dtype: p.dtype });
  p.backend.kernels.rmsnorm({
    x: p.x.storage,
    residual: residual.storage,
    weight: p.weight.storage,
    out: y.storage,
    sum: sum.storage,
    rows: p.rows,
    hidden: p.hidden,
    eps: p.eps,
    weightOffset: p.weightOffset,
    dtype: p.dtype,
  });
  return { y, sum };
}
