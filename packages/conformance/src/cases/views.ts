/**
 * The same maths with tensors that are views: inputs inside larger tensors at offsets with
 * gaps between rows (`strided`), q/k/v as views of one packed QKV projection (`packed`), and
 * outputs written through `out` into views whose surroundings must stay untouched. Each case
 * reuses a fixed case of another family, so the expected values are those of the dense case.
 */
import type { CasePlacement } from '../placement.js';
import { defineCase } from './define.js';
import type { ConformanceCase } from './types.js';

/** [source case id, placement] */
const VIEW_CASES: ReadonlyArray<readonly [string, CasePlacement]> = [
  ['rmsnorm/hidden/d64', 'strided'],
  ['rmsnorm/hidden/d1000', 'strided'],
  ['rmsnorm/rank/1d', 'strided'],
  ['rmsnorm/rank/4d', 'strided'],
  ['rmsnorm/residual/d64', 'strided'],
  ['rmsnorm/hidden/d64/f16', 'strided'],
  ['addRmsnorm/hidden/d64', 'strided'],
  ['addRmsnorm/rank/3d', 'strided'],
  ['rope/headDim/d64-half', 'strided'],
  ['rope/headDim/d64-interleaved', 'packed'],
  ['rope/rotaryDim/d10-rd4-half', 'packed'],
  ['rope/positions/explicit-ragged', 'packed'],
  ['rope/inPlace/partial', 'packed'],
  ['rope/inPlace/half', 'strided'],
  ['rope/shape/decode-llama3-8b-q', 'packed'],
  ['gqa/prefill/causal-16', 'packed'],
  ['gqa/heads/8-8-prefill-mha', 'packed'],
  ['gqa/heads/32-8-decode', 'packed'],
  ['gqa/kvLength/ragged-chunk', 'strided'],
  ['gqa/window/ragged', 'packed'],
  ['gqa/mask/broadcast-b1', 'strided'],
  ['gqa/sinks/prefill', 'packed'],
  ['gqa/headDimV/64-32', 'packed'],
  ['gqa/decode/batch', 'strided'],
  ['kvcache/decoder/prefill-decode', 'packed'],
  ['kvcache/decoder/chunked-prefill', 'packed'],
  ['kvcache/decoder/headDimV', 'packed'],
];

function withPlacement(source: ConformanceCase, placement: CasePlacement): ConformanceCase {
  const detail = `${placement}-${source.id.split('/').slice(1).join('-')}`;
  const how =
    placement === 'packed'
      ? 'q/k/v as views of one packed projection, out into a view'
      : 'inputs as strided views (NaN in the gaps), out into a strided view';
  return defineCase(source.op, 'views', detail.replace(/-f16$/, ''), `${source.description} — ${how}`, () => ({ ...source.build(), placement }), source.dtype);
}

/** The views family, derived from the other families' cases. */
export function viewCases(others: readonly ConformanceCase[]): ConformanceCase[] {
  return VIEW_CASES.map(([id, placement]) => {
    const source = others.find((c) => c.id === id);
    if (!source) throw new Error(`@llama-ops/conformance: views case of unknown case ${id}`);
    return withPlacement(source, placement);
  });
}

