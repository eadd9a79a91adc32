/** `llama-ops run rmsnorm` and `add-rmsnorm`: inputs, the op, and the reference check. */
import { addRmsnorm, DEFAULT_RMSNORM_EPS, rmsnorm, type Tensor } from '@llama-ops/core';
import { bool, num, parseShape, str, type ParsedValues } from '../../args.js';
import { checkRmsnorm, type CheckResult } from '../../check.js';
import type { HostArray, InputSource, PreparedOp } from './inputs.js';

export function prepareRmsnorm(op: 'rmsnorm' | 'add-rmsnorm', values: ParsedValues, src: InputSource): PreparedOp {
  const shape = parseShape(str(values, 'shape') ?? '4,4096', '--shape');
  const x = src.get('x', shape);
  const hidden = x.shape[x.shape.length - 1];
  const weight = src.get('weight', [hidden], 0.2, 1, 1);
  const withResidual = op === 'add-rmsnorm' || bool(values, 'residual') === true || src.has('residual');
  const residual = withResidual ? src.get('residual', x.shape) : undefined;
  const eps = num(values, 'eps', DEFAULT_RMSNORM_EPS, { min: 0 });
  const weightOffset = num(values, 'weight-offset', 0);
  const inputs = new Map<string, HostArray>([
    ['x', x],
    ['weight', weight],
  ]);
  if (residual) inputs.set('residual', residual);
  return {
    op,
    params: { shape: x.shape, eps, weightOffset, residual: withResidual },
    inputs,
    consumed: [],
    execute(t): Record<string, Tensor> {
      if (op === 'add-rmsnorm') {
        const r = addRmsnorm(t.get('x')!, t.get('residual')!, t.get('weight')!, { eps, weightOffset });
        return { y: r.y, sum: r.sum };
      }
      return { y: rmsnorm(t.get('x')!, t.get('weight')!, { eps, weightOffset, ...(residual ? { residual: t.get('residual')! } : {}) }) };
    },
    check(k, out, dtype) {
      const i = (n: string) => inputs.get(n)!;
      const r = k.ref.referenceAddRmsnorm(i('x').data, residual ? i('residual').data : null, i('x').shape, i('weight').data, { eps, weightOffset });
      const checks: Record<string, CheckResult> = { y: checkRmsnorm(k, out.y, r.y, i('x').shape, dtype, 'y') };
      if (op === 'add-rmsnorm') checks.sum = checkRmsnorm(k, out.sum, r.sum, i('x').shape, dtype, 'sum');
      return checks;
    },
  };
}
