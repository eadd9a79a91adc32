/**
 * A case's parameters in one line, for failure messages: the shapes and every option the op
 * was called with, with values (per-batch `kvLength`/`queryOffset`, explicit positions...), so
 * that a failure, fixed or shrunk from the random mode, says what was asked without rebuilding
 * the case. Defaults are named as such (`kvLength seqKV (default)`).
 */
import type { CaseInputs, GqaCaseInputs, KvCacheCaseInputs, RmsnormCaseInputs, AddRmsnormCaseInputs, RopeCaseInputs } from './types.js';

/** Longest list printed in full; longer ones print their first values and their length. */
const MAX_VALUES = 16;

const num = (x: number) => (Number.isInteger(x) || !Number.isFinite(x) ? String(x) : String(Number(x.toPrecision(6))));

function list(values: ArrayLike<number>): string {
  const shown = Array.from({ length: Math.min(values.length, MAX_VALUES) }, (_, i) => num(values[i]));
  return values.length > MAX_VALUES ? `[${shown.join(', ')}, … (${values.length} values)]` : `[${shown.join(', ')}]`;
}

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A scalar or a per-batch list. */
const scalarOrList = (v: number | ArrayLike<number>) => (typeof v === 'number' ? num(v) : list(v));

/** `key value` pairs of the options that were given (undefined ones are left out). */
function given(options: Record<string, unknown>, keys: readonly string[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const v = options[k];
    if (v === undefined) continue;
    out.push(`${k} ${typeof v === 'number' ? num(v) : typeof v === 'object' && v !== null ? JSON.stringify(v, (_k, x) => (typeof x === 'number' ? Number(num(x)) : x)) : String(v)}`);
  }
  return out;
}

function norm(c: RmsnormCaseInputs | AddRmsnormCaseInputs): string {
  const parts = [`x ${shape(c.shape)}`, `weight [${c.shape[c.shape.length - 1]}]`];
  if (c.residual) parts.push(`residual ${shape(c.shape)}`);
  parts.push(c.options.eps === undefined ? 'eps 1e-6 (default)' : `eps ${num(c.options.eps)}`);
  parts.push(`weightOffset ${num(c.options.weightOffset ?? 0)}`);
  return parts.join('; ');
}

function rope(c: RopeCaseInputs): string {
  const o = c.options;
  const parts = [`x ${shape(c.shape)}`];
  parts.push(o.positions === undefined ? 'positions from 0 (default)' : typeof o.positions === 'number' ? `positions from ${o.positions}` : `positions ${list(o.positions)}`);
  parts.push(o.theta === undefined ? 'theta 10000 (default)' : `theta ${num(o.theta)}`);
  parts.push(...given(o, ['rotaryDim', 'interleaved', 'inPlace', 'scaling']));
  return parts.join('; ');
}

function gqa(c: GqaCaseInputs): string {
  const o = c.options;
  const parts = [`q ${shape(c.qShape)}`, `k ${shape(c.kShape)}`, `v ${shape(c.vShape)}`];
  parts.push(`causal ${o.causal ?? 'true (default)'}`);
  parts.push(o.kvLength === undefined ? 'kvLength seqKV (default)' : `kvLength ${scalarOrList(o.kvLength)}`);
  parts.push(o.queryOffset === undefined ? 'queryOffset kvLength - seqQ (default)' : `queryOffset ${scalarOrList(o.queryOffset)}`);
  parts.push(...given(o, ['window', 'softcap', 'scale']));
  if (c.mask) parts.push(`mask ${shape(c.mask.shape)}`);
  if (c.sinks) parts.push(`sinks ${list(c.sinks)}`);
  return parts.join('; ');
}

function kvcache(c: KvCacheCaseInputs): string {
  const parts = [
    `batch ${c.batch}, capacity ${c.capacity}, headsQ ${c.headsQ}, kvHeads ${c.kvHeads}, headDim ${c.headDim}, headDimV ${c.headDimV}`,
    `steps ${c.steps.map((s) => `${s.reset ? 'reset, ' : ''}append ${s.n}${s.q ? ` + ${s.seqQ} queries` : ''}`).join(' | ')}`,
    ...given(c.options, ['window', 'softcap', 'scale']),
  ];
  return parts.join('; ');
}

/** One line naming every parameter of a case's inputs (shapes, options, per-batch values). */
export function describeParameters(inputs: CaseInputs): string {
  const placement = inputs.placement && inputs.placement !== 'dense' ? `; placement ${inputs.placement} (tensors as views)` : '';
  switch (inputs.op) {
    case 'rmsnorm':
    case 'addRmsnorm':
      return norm(inputs) + placement;
    case 'rope':
      return rope(inputs) + placement;
    case 'gqa':
      return gqa(inputs) + placement;
    case 'kvcache':
      return kvcache(inputs) + placement;
  }
}
