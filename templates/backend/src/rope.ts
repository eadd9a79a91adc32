/**
 * RoPE kernel of the __NAME__ backend: rotates pairs of `x [batch, seq, heads, headDim]` by the
 * angles of `table` (cos/sin computed by core in float64, attention factor folded in). Pairs
 * are `(i, i + rotaryDim/2)`, or `(2i, 2i+1)` when `interleaved`; dims past `rotaryDim` are
 * copied unchanged; `out` may be `x` (in place). SPEC.md "rope" is the contract.
 *
 * Algorithm: (describe it here). Measured speed: (fill in from `llama-ops bench`).
 */
import type { RopeKernelParams } from '@llama-ops/core';
import type { __PASCAL__Storage } from './memory.js';
import { notImplemented } from './not-implemented.js';

export function rope(_p: RopeKernelParams<__PASCAL__Storage>): void {
  throw notImplemented('rope');
}
