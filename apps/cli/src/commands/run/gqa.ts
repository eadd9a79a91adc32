/** `llama-ops run gqa`: shapes from flags, optional mask and sinks, the op, and the reference check. */
import { gqa } from '@llama-ops/core';
import { bool, num, parseNumberList, str, type ParsedValues } from '../../args.js';
import { checkGqa } from '../../check.js';
import { rng, subSeed } from '../../random.js';
import type { HostArray, InputSource, PreparedOp } from './inputs.js';

function perBatch(values: ParsedValues, name: string): number | number[] | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  const list = parseNumberList(s, `--${name}`, { integer: true });
  return list.length === 1 ? list[0] : list;
}

export function prepareGqa(values: ParsedValues, src: InputSource): PreparedOp {
  const batch = num(values, 'batch', 1, { integer: true, min: 1 });
  const heads = num(values, 'heads', 32, { integer: true, min: 1 });
  const kvHeads = num(values, 'kv-heads', Math.min(8, heads), { integer: true, min: 1 });
  const headDim = num(values, 'head-dim', 64, { integer: true, min: 1 });
  const headDimV = num(values, 'head-dim-v', headDim, { integer: true, min: 1 });
  const seqQ = num(values, 'seq-q', 16, { integer: true, min: 1 });
  const seqKV = num(values, 'seq-kv', Math.max(64, seqQ), { integer: true, min: 1 });
  const q = src.get('q', [batch, seqQ, heads, headDim], 1, 0, 4);
  const k2 = src.get('k', [batch, seqKV, kvHeads, headDim], 1, 0, 4);
  const v = src.get('v', [batch, seqKV, kvHeads, headDimV], 1, 0, 4);
  const [b, sq, hq] = q.shape;
  const skv = k2.shape[1];
  const inputs = new Map<string, HostArray>([
    ['q', q],
    ['k', k2],
    ['v', v],
  ]);
  if (src.has('mask') || bool(values, 'mask') === true) {
    let mask = src.file('mask');
    if (!mask) {
      // A padding-style mask: mostly small negative biases, about one key in ten blocked.
      const rand = rng(subSeed(src.seed, 'mask'));
      const data = new Float32Array(b * sq * skv);
      for (let i = 0; i < data.length; i++) data[i] = rand() < 0.1 ? -Infinity : -rand();
      mask = { data, shape: [b, 1, sq, skv] };
    }
    inputs.set('mask', mask);
  }
  if (src.has('sinks') || bool(values, 'sinks') === true) inputs.set('sinks', src.get('sinks', [hq], 1, 0, 1));

  const scale = num(values, 'scale', undefined, { positive: true });
  const causal = bool(values, 'causal') ?? true;
  const kvLength = perBatch(values, 'kv-length');
  const queryOffset = perBatch(values, 'query-offset');
  const window = num(values, 'window', undefined, { integer: true, min: 1 });
  const softcap = num(values, 'softcap', undefined, { positive: true });
  const options = {
    causal,
    ...(scale !== undefined ? { scale } : {}),
    ...(kvLength !== undefined ? { kvLength } : {}),
    ...(queryOffset !== undefined ? { queryOffset } : {}),
    ...(window !== undefined ? { window } : {}),
    ...(softcap !== undefined ? { softcap } : {}),
  };
  return {
    op: 'gqa',
    params: {
      q: q.shape,
      k: k2.shape,
      v: v.shape,
      ...options,
      scale: scale ?? 1 / Math.sqrt(q.shape[3]),
      mask: inputs.get('mask')?.shape ?? null,
      sinks: inputs.has('sinks'),
    },
    inputs,
    consumed: [],
    execute(t) {
      return {
        y: gqa(t.get('q')!, t.get('k')!, t.get('v')!, {
          ...options,
          ...(t.has('mask') ? { mask: t.get('mask')! } : {}),
          ...(t.has('sinks') ? { sinks: t.get('sinks')! } : {}),
        }),
      };
    },
    check(k, out, dtype) {
      const m = inputs.get('mask');
      const sinks = inputs.get('sinks');
      const ref = k.ref.referenceGqa(q.data, k2.data, v.data, { q: q.shape, k: k2.shape, v: v.shape }, {
        ...options,
        ...(m ? { mask: m } : {}),
        ...(sinks ? { sinks: sinks.data } : {}),
      });
      const outShape = [b, sq, hq, v.shape[3]];
      return { y: checkGqa(k, out.y, ref, v.data, v.shape, kvLength, outShape, dtype) };
    },
  };
}
