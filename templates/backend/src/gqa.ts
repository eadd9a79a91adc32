/**
 * Grouped-query attention kernel of the __NAME__ backend (layout `bshd`): query head `h` reads
 * KV head `floor(h / (headsQ / headsKV))`; causal, `kvLength`, `queryOffset`, `window`,
 * `softcap`, additive `mask` and `sinks` as in `GqaKernelParams` and SPEC.md "gqa". Use a
 * running-max softmax; a row that sees no key is written as zeros.
 *
 * Algorithm: (describe your tiling here). Measured speed: (fill in from `llama-ops bench`).
 */
import type { GqaKernelParams } from '@llama-ops/core';
import type { __PASCAL__Storage } from './memory.js';
import { notImplemented } from './not-implemented.js';

export function gqa(_p: GqaKernelParams<__PASCAL__Storage>): void {
  throw notImplemented('gqa');
}
