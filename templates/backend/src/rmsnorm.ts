/**
 * RMSNorm kernel of the __NAME__ backend: `y = h / sqrt(mean(h^2) + eps) * (weight + weightOffset)`
 * per row of `hidden` elements, `h = x + residual` when a residual is given (then `sum` receives
 * `h`). SPEC.md "rmsnorm" is the contract; accumulate the sum of squares in at least f32 and
 * scale before squaring so finite |h| <= 1e18 cannot overflow.
 *
 * Algorithm: (describe your reduction here). Measured speed: (fill in from `llama-ops bench`).
 */
import type { RmsnormKernelParams } from '@llama-ops/core';
import type { __PASCAL__Storage } from './memory.js';
import { notImplemented } from './not-implemented.js';

export function rmsnorm(_p: RmsnormKernelParams<__PASCAL__Storage>): void {
  throw notImplemented('rmsnorm');
}
