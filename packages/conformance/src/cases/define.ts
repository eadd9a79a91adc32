import type { CaseDType, CaseInputs, CaseOp, ConformanceCase } from './types.js';

/** Declare a case; `id` is `op/group/detail` (plus `/f16` for f16 variants). */
export function defineCase(
  op: CaseOp,
  group: string,
  detail: string,
  description: string,
  build: () => CaseInputs,
  dtype: CaseDType = 'f32',
): ConformanceCase {
  return Object.freeze({ id: `${op}/${group}/${detail}${dtype === 'f16' ? '/f16' : ''}`, op, dtype, group, description, build });
}

/** The same case stored in f16 (the reference rounds its inputs to f16 first). */
export function f16Variant(c: ConformanceCase): ConformanceCase {
  return defineCase(c.op, c.group, c.id.split('/').slice(2).join('/'), `${c.description} (f16 storage)`, c.build, 'f16');
}

/** `cases` plus an f16 variant of each case whose id is in `f16Ids` (a representative subset). */
export function withF16Variants(cases: readonly ConformanceCase[], f16Ids: readonly string[]): ConformanceCase[] {
  const missing = f16Ids.filter((id) => !cases.some((c) => c.id === id));
  if (missing.length) throw new Error(`@llama-ops/conformance: f16 variant of unknown case(s) ${missing.join(', ')}`);
  return [...cases, ...cases.filter((c) => f16Ids.includes(c.id)).map(f16Variant)];
}
