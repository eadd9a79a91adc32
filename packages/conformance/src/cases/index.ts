/** The fixed case suite. */
import { extremesCases } from './extremes.js';
import { gqaCases } from './gqa.js';
import { kvcacheCases } from './kvcache.js';
import { pathCases } from './paths.js';
import { rmsnormCases } from './rmsnorm.js';
import { ropeCases } from './rope.js';
import type { CaseDType, CaseOp, ConformanceCase } from './types.js';
import { viewCases } from './views.js';

const families = [...rmsnormCases, ...ropeCases, ...gqaCases, ...kvcacheCases, ...pathCases, ...extremesCases];

/** Every fixed case: the op families (rmsnorm, addRmsnorm, rope, gqa, kvcache), the kernel-path sizes, the extremes family (SPEC.md "Range and special values"), then the views family. */
export const cases: readonly ConformanceCase[] = Object.freeze([...families, ...viewCases(families)]);

{
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`@llama-ops/conformance: duplicate case id ${c.id}`);
    seen.add(c.id);
  }
}

/** Every op the suite covers, in suite order. */
export const CASE_OPS: readonly CaseOp[] = ['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache'];

/** Filter of {@link listCases}. */
export interface CaseFilter {
  op?: CaseOp;
  dtype?: CaseDType;
  group?: string;
}

/** The fixed cases, optionally filtered by op, dtype and group. */
export function listCases(filter: CaseFilter = {}): ConformanceCase[] {
  return cases.filter((c) => (!filter.op || c.op === filter.op) && (!filter.dtype || c.dtype === filter.dtype) && (!filter.group || c.group === filter.group));
}
