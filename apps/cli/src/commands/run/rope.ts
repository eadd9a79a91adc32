/** `llama-ops run rope`: positions, RoPE scaling from its flags, the op, and the reference check. */
import { DEFAULT_ROPE_THETA, rope, type RopeScaling } from '@llama-ops/core';
import { bool, num, parseNumberList, parseShape, str, UsageError, type ParsedValues } from '../../args.js';
import { checkRope } from '../../check.js';
import { fmtShape } from '../../format.js';
import type { HostArray, InputSource, PreparedOp } from './inputs.js';

function ropeScaling(values: ParsedValues): RopeScaling | undefined {
  const type = str(values, 'rope-scaling');
  const need = (flag: string, opts: { integer?: boolean } = {}): number => {
    const v = num(values, flag, undefined, { positive: true, ...opts });
    if (v === undefined) throw new UsageError(`--rope-scaling ${type} needs --${flag}`, 'run');
    return v;
  };
  const opt = (flag: string) => num(values, flag, undefined);
  switch (type) {
    case undefined:
      return undefined;
    case 'default':
      return { type: 'default' };
    case 'linear':
      return { type: 'linear', factor: need('factor') };
    case 'dynamic':
      return { type: 'dynamic', factor: need('factor'), maxPositionEmbeddings: need('max-position-embeddings', { integer: true }) };
    case 'llama3':
      return {
        type: 'llama3',
        factor: need('factor'),
        lowFreqFactor: need('low-freq-factor'),
        highFreqFactor: need('high-freq-factor'),
        originalMaxPositionEmbeddings: need('original-max-position-embeddings', { integer: true }),
      };
    case 'yarn': {
      const s: RopeScaling = { type: 'yarn', factor: need('factor'), originalMaxPositionEmbeddings: need('original-max-position-embeddings', { integer: true }) };
      const set = <K extends keyof typeof s>(k: K, v: (typeof s)[K] | undefined) => {
        if (v !== undefined) s[k] = v;
      };
      set('betaFast', opt('beta-fast'));
      set('betaSlow', opt('beta-slow'));
      set('attentionFactor', opt('attention-factor'));
      set('mscale', opt('mscale'));
      set('mscaleAllDim', opt('mscale-all-dim'));
      set('truncate', bool(values, 'truncate'));
      return s;
    }
    case 'longrope': {
      const list = (flag: string) => {
        const t = str(values, flag);
        if (t === undefined) throw new UsageError(`--rope-scaling longrope needs --${flag}`, 'run');
        return parseNumberList(t, `--${flag}`, { positive: true });
      };
      const s: RopeScaling = {
        type: 'longrope',
        shortFactor: list('short-factor'),
        longFactor: list('long-factor'),
        originalMaxPositionEmbeddings: need('original-max-position-embeddings', { integer: true }),
        maxPositionEmbeddings: need('max-position-embeddings', { integer: true }),
      };
      const af = opt('attention-factor');
      if (af !== undefined) s.attentionFactor = af;
      return s;
    }
    default:
      throw new Error(`unreachable: scaling type ${type}`);
  }
}

export function prepareRope(values: ParsedValues, src: InputSource): PreparedOp {
  const shape = parseShape(str(values, 'shape') ?? '1,16,32,128', '--shape', 4);
  const x = src.get('x', shape, 1, 0, 4);
  const [batch, seq, , headDim] = x.shape;
  let positions: number | Int32Array = 0;
  const posFile = src.file('positions');
  const posText = str(values, 'positions');
  if (posFile) {
    positions = Int32Array.from(posFile.data);
  } else if (posText !== undefined) {
    const list = parseNumberList(posText, '--positions', { integer: true, min: 0 });
    positions = list.length === 1 ? list[0] : Int32Array.from(list);
  }
  if (positions instanceof Int32Array && positions.length !== batch * seq) {
    throw new UsageError(`--positions: expected 1 start position or ${batch * seq} positions (batch * seq), got ${positions.length}`, 'run');
  }
  const theta = num(values, 'theta', DEFAULT_ROPE_THETA, { positive: true });
  const rotaryDimFlag = num(values, 'rotary-dim', undefined, { integer: true, min: 2 });
  if (rotaryDimFlag === undefined && headDim % 2 !== 0) {
    const from = src.has('x') ? `x (shape ${fmtShape(x.shape)})` : `--shape ${fmtShape(x.shape)}`;
    throw new UsageError(
      `rope rotates pairs of dims, so it needs an even head dim; ${from} has head dim ${headDim} (the last dimension): ` +
        `use an even head dim, or rotate part of it with an even --rotary-dim below ${headDim}`,
      'run',
    );
  }
  const rotaryDim = rotaryDimFlag ?? headDim;
  const interleaved = bool(values, 'interleaved') === true;
  const inPlace = bool(values, 'in-place') === true;
  const scaling = ropeScaling(values);
  const inputs = new Map<string, HostArray>([['x', x]]);
  return {
    op: 'rope',
    params: {
      shape: x.shape,
      positions: typeof positions === 'number' ? positions : Array.from(positions),
      theta,
      rotaryDim,
      interleaved,
      inPlace,
      scaling: scaling ?? { type: 'default' },
    },
    inputs,
    consumed: inPlace ? ['x'] : [],
    execute(t) {
      return { y: rope(t.get('x')!, { positions, theta, rotaryDim, interleaved, inPlace, ...(scaling ? { scaling } : {}) }) };
    },
    check(k, out, dtype) {
      const options = { positions, theta, rotaryDim, interleaved, scaling: scaling ?? { type: 'default' as const } };
      const shape4 = x.shape as [number, number, number, number];
      const ref = k.ref.referenceRope(x.data, shape4, options);
      return { y: checkRope(k, out.y, ref, x.data, shape4, options, dtype) };
    },
  };
}
