/**
 * `llama-ops run <rmsnorm|add-rmsnorm|rope|gqa>`: run one op with every SPEC option as a
 * flag, on seeded random inputs or `.npy` files, write the output as `.npy`, summarise it,
 * and (with `--check`) compare it with the float64 reference.
 */
import { existsSync, statSync } from 'node:fs';
import {
  addRmsnorm,
  DEFAULT_RMSNORM_EPS,
  DEFAULT_ROPE_THETA,
  fromFloat16Array,
  gqa,
  LlamaOpsError,
  rmsnorm,
  rope,
  toFloat16Array,
  type Backend,
  type DType,
  type RopeScaling,
  type Tensor,
} from '@llama-ops/core';
import {
  bool,
  num,
  parseFlags,
  parseNumberList,
  parsePairs,
  parseShape,
  str,
  strList,
  UsageError,
  type FlagSpecs,
  type ParsedValues,
} from '../args.js';
import { chooseBackend } from '../backends.js';
import { checkGqa, checkRmsnorm, checkRope, type CheckResult } from '../check.js';
import { makeContext, type Context } from '../context.js';
import { checkWritable, writeOutput } from '../files.js';
import { fmtErr, fmtMs, fmtNum, fmtParam, fmtShape, median, summarise, type ArraySummary } from '../format.js';
import { renderHelp } from '../help.js';
import { encodeNpy, NpyError, readNpy, type NpyArray } from '../npy.js';
import { normal, rng, subSeed } from '../random.js';
import { conformance, type Conformance } from '../reference.js';
import { didYouMean } from '../suggest.js';

export const RUN_OPS = ['rmsnorm', 'add-rmsnorm', 'rope', 'gqa'] as const;
export type RunOp = (typeof RUN_OPS)[number];

const IO_FLAGS: FlagSpecs = {
  shape: { type: 'string', value: 'DIMS', help: 'input shape, e.g. 4,4096 (rmsnorm) or 1,16,32,128 (rope: batch,seq,heads,headDim)' },
  seed: { type: 'string', value: 'N', help: 'seed of the random inputs', defaultText: '1' },
  input: { type: 'string', multiple: true, value: 'NAME=FILE', help: 'read an input from a float32 .npy file (repeatable), e.g. q=q.npy' },
  out: { type: 'string', multiple: true, value: '[NAME=]FILE', help: 'write an output as .npy (repeatable; NAME is y or sum for add-rmsnorm)' },
  dtype: { type: 'string', value: 'f32|f16', help: 'storage dtype on the backend', defaultText: 'f32' },
  check: { type: 'boolean', help: 'compare with the float64 reference against the SPEC tolerance (exit 1 on failure)' },
  repeat: { type: 'string', value: 'N', help: 'timed runs after one warm-up run (median reported)', defaultText: '5' },
};

const RMSNORM_FLAGS: FlagSpecs = {
  eps: { type: 'string', value: 'X', help: 'added to the mean square', defaultText: fmtParam(DEFAULT_RMSNORM_EPS) },
  'weight-offset': { type: 'string', value: 'X', help: 'scale is weight + offset (1 for Gemma)', defaultText: '0' },
  residual: { type: 'boolean', help: 'rmsnorm: add a random residual before normalising' },
};

const ROPE_FLAGS: FlagSpecs = {
  positions: { type: 'string', value: 'P0|LIST', help: 'start position, or batch*seq explicit positions (1,5,9,...)', defaultText: '0' },
  theta: { type: 'string', value: 'X', help: 'frequency base (Llama 3: 500000)', defaultText: fmtParam(DEFAULT_ROPE_THETA) },
  'rotary-dim': { type: 'string', value: 'N', help: 'rotated dims (even, <= headDim); the rest pass through', defaultText: 'headDim' },
  interleaved: { type: 'boolean', help: "pair (2i, 2i+1) (Meta's Llama, GPT-J) instead of (i, i+rotaryDim/2)" },
  'in-place': { type: 'boolean', help: 'rotate the input tensor in place' },
};

const SCALING_FLAGS: FlagSpecs = {
  'rope-scaling': { type: 'string', value: 'TYPE', help: 'default | linear | dynamic | llama3 | yarn | longrope', defaultText: 'default' },
  factor: { type: 'string', value: 'X', help: 'linear, dynamic, llama3, yarn: scaling factor' },
  'low-freq-factor': { type: 'string', value: 'X', help: 'llama3' },
  'high-freq-factor': { type: 'string', value: 'X', help: 'llama3' },
  'original-max-position-embeddings': { type: 'string', value: 'N', help: 'llama3, yarn, longrope' },
  'max-position-embeddings': { type: 'string', value: 'N', help: 'dynamic, longrope' },
  'beta-fast': { type: 'string', value: 'X', help: 'yarn', defaultText: '32' },
  'beta-slow': { type: 'string', value: 'X', help: 'yarn', defaultText: '1' },
  'attention-factor': { type: 'string', value: 'X', help: 'yarn, longrope: override the attention factor' },
  mscale: { type: 'string', value: 'X', help: 'yarn' },
  'mscale-all-dim': { type: 'string', value: 'X', help: 'yarn' },
  truncate: { type: 'boolean', negatable: true, help: 'yarn: round the correction range', defaultText: 'on' },
  'short-factor': { type: 'string', value: 'LIST', help: 'longrope: rotaryDim/2 factors' },
  'long-factor': { type: 'string', value: 'LIST', help: 'longrope: rotaryDim/2 factors' },
};

const GQA_FLAGS: FlagSpecs = {
  batch: { type: 'string', value: 'N', help: 'batch size', defaultText: '1' },
  heads: { type: 'string', value: 'N', help: 'query heads Hq', defaultText: '32' },
  'kv-heads': { type: 'string', value: 'N', help: 'key/value heads Hkv (divides Hq)', defaultText: '8' },
  'head-dim': { type: 'string', value: 'N', help: 'head dim d', defaultText: '64' },
  'head-dim-v': { type: 'string', value: 'N', help: 'value head dim', defaultText: 'head-dim' },
  'seq-q': { type: 'string', value: 'N', help: 'query positions', defaultText: '16' },
  'seq-kv': { type: 'string', value: 'N', help: 'key/value positions', defaultText: '64' },
  scale: { type: 'string', value: 'X', help: 'score scale', defaultText: '1/sqrt(d)' },
  causal: { type: 'boolean', negatable: true, help: 'causal masking', defaultText: 'on' },
  'kv-length': { type: 'string', value: 'N|LIST', help: 'valid keys, scalar or per batch', defaultText: 'seq-kv' },
  'query-offset': { type: 'string', value: 'N|LIST', help: 'absolute position of query 0', defaultText: 'kv-length - seq-q' },
  window: { type: 'string', value: 'N', help: 'sliding window: keys p-window < j <= p' },
  softcap: { type: 'string', value: 'X', help: 'score = softcap * tanh(score / softcap) (Gemma 2)' },
  sinks: { type: 'boolean', help: 'random per-head sink logits (or --input sinks=FILE)' },
  mask: { type: 'boolean', help: 'random additive mask [batch, 1, seq-q, seq-kv] with some -inf (or --input mask=FILE)' },
};

/** The RoPE scaling types, and the scaling flags each one takes. */
const SCALING_PARAMS: Record<string, readonly string[]> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor', 'max-position-embeddings'],
  llama3: ['factor', 'low-freq-factor', 'high-freq-factor', 'original-max-position-embeddings'],
  yarn: ['factor', 'original-max-position-embeddings', 'beta-fast', 'beta-slow', 'attention-factor', 'mscale', 'mscale-all-dim', 'truncate'],
  longrope: ['short-factor', 'long-factor', 'original-max-position-embeddings', 'max-position-embeddings', 'attention-factor'],
};

/** Which op-specific flags apply to which op (the I/O flags apply to all). */
const OP_FLAGS: Record<RunOp, string[]> = {
  rmsnorm: [...Object.keys(RMSNORM_FLAGS)],
  'add-rmsnorm': ['eps', 'weight-offset'],
  rope: [...Object.keys(ROPE_FLAGS), ...Object.keys(SCALING_FLAGS)],
  gqa: [...Object.keys(GQA_FLAGS)],
};

const OP_INPUTS: Record<RunOp, string[]> = {
  rmsnorm: ['x', 'weight', 'residual'],
  'add-rmsnorm': ['x', 'residual', 'weight'],
  rope: ['x', 'positions'],
  gqa: ['q', 'k', 'v', 'mask', 'sinks'],
};

const OP_OUTPUTS: Record<RunOp, string[]> = {
  rmsnorm: ['y'],
  'add-rmsnorm': ['y', 'sum'],
  rope: ['y'],
  gqa: ['y'],
};

export const RUN_FLAGS: FlagSpecs = { ...IO_FLAGS, ...RMSNORM_FLAGS, ...ROPE_FLAGS, ...SCALING_FLAGS, ...GQA_FLAGS };

export const RUN_HELP = renderHelp({
  usage: 'llama-ops run <rmsnorm|add-rmsnorm|rope|gqa> [options]',
  summary: 'Run one op on the chosen backend, on seeded random inputs or .npy files, and summarise the output.',
  details: [
    'Every option of SPEC.md is a flag. Inputs are random (normal, seeded) unless read with\n' +
      '--input NAME=FILE (rmsnorm: x, weight, residual; rope: x, positions; gqa: q, k, v, mask,\n' +
      'sinks). --check compares the output with the float64 reference of @llama-ops/conformance.',
  ],
  groups: [
    { title: 'Inputs and outputs', flags: IO_FLAGS },
    { title: 'rmsnorm / add-rmsnorm', flags: RMSNORM_FLAGS },
    { title: 'rope', flags: ROPE_FLAGS },
    { title: 'rope scaling (HF transformers parameter names)', flags: SCALING_FLAGS },
    { title: 'gqa (layout bshd: q [batch, seq-q, heads, head-dim])', flags: GQA_FLAGS },
  ],
  examples: [
    'llama-ops run rmsnorm --shape 4,4096 --eps 1e-5 --check',
    'llama-ops run add-rmsnorm --shape 8,2048 --out y=y.npy --out sum=sum.npy',
    'llama-ops run rope --shape 1,32,32,128 --theta 500000 --positions 8000 \\\n' +
      '    --rope-scaling llama3 --factor 8 --low-freq-factor 1 --high-freq-factor 4 \\\n' +
      '    --original-max-position-embeddings 8192 --check',
    'llama-ops run gqa --heads 32 --kv-heads 8 --head-dim 64 --seq-q 1 --seq-kv 512 --check',
    'llama-ops run gqa --input q=q.npy --input k=k.npy --input v=v.npy --out o.npy --backend wasm',
  ],
});

/** A host array: float32 values and a shape. */
interface HostArray {
  data: Float32Array;
  shape: number[];
}

/** An op ready to run: its host inputs, how to run it, its reference and its checks. */
interface PreparedOp {
  op: RunOp;
  /** The resolved parameters, for the summary and JSON. */
  params: Record<string, unknown>;
  inputs: Map<string, HostArray>;
  /** Inputs as uploaded tensors -> outputs. */
  execute(t: Map<string, Tensor>): Record<string, Tensor>;
  /** Names of inputs the op overwrites (re-uploaded before each timed run). */
  consumed: string[];
  /** Compare each output with the float64 reference on the same (stored) inputs. */
  check(k: Conformance, outputs: Record<string, Float32Array>, dtype: DType): Record<string, CheckResult>;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Inputs from files where given, seeded random otherwise. */
class InputSource {
  readonly files: Map<string, string>;
  readonly seed: number;
  constructor(files: Map<string, string>, seed: number) {
    this.files = files;
    this.seed = seed;
  }
  has(name: string): boolean {
    return this.files.has(name);
  }
  file(name: string): HostArray | undefined {
    const path = this.files.get(name);
    if (path === undefined) return undefined;
    // A missing file and one that is not a .npy are the same kind of mistake: a bad
    // --input value (exit 2), named by the flag.
    const where = `--input ${name}=${path}`;
    if (!existsSync(path)) throw new UsageError(`${where}: no such file`, 'run', 'E_INPUT');
    if (statSync(path).isDirectory()) throw new UsageError(`${where}: is a directory, expected a .npy file`, 'run', 'E_INPUT');
    let npy: NpyArray;
    try {
      npy = readNpy(path);
    } catch (err) {
      const reason = err instanceof NpyError ? err.message.replace(`${path}: `, '') : (err as Error).message;
      throw new UsageError(`${where}: ${reason}`, 'run', 'E_INPUT');
    }
    return { data: Float32Array.from(npy.data), shape: npy.shape.length ? npy.shape : [1] };
  }
  /** The file's array (its shape must have `rank` dims), or random normal values of `shape`. */
  get(name: string, shape: number[], scale = 1, offset = 0, rank?: number): HostArray {
    const f = this.file(name);
    if (f) {
      if (rank !== undefined && f.shape.length !== rank) {
        throw new UsageError(`--input ${name}: expected a ${rank}-D array, got shape ${fmtShape(f.shape)}`, 'run', 'E_INPUT');
      }
      return f;
    }
    return { data: normal(rng(subSeed(this.seed, name)), size(shape), scale, offset), shape };
  }
}

function perBatch(values: ParsedValues, name: string): number | number[] | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  const list = parseNumberList(s, `--${name}`, { integer: true });
  return list.length === 1 ? list[0] : list;
}

/** Refuse a scaling type that does not exist, and scaling flags its type does not take. */
function checkScalingFlags(values: ParsedValues): void {
  const type = str(values, 'rope-scaling');
  if (type !== undefined && !Object.hasOwn(SCALING_PARAMS, type)) {
    throw new UsageError(`--rope-scaling: unknown type '${type}'${didYouMean(type, Object.keys(SCALING_PARAMS))} (expected default, linear, dynamic, llama3, yarn or longrope)`, 'run');
  }
  // A scaling parameter without the scaling type it belongs to would be silently ignored.
  for (const name of Object.keys(SCALING_FLAGS)) {
    if (name === 'rope-scaling' || values[name] === undefined) continue;
    const takers = Object.keys(SCALING_PARAMS).filter((t) => SCALING_PARAMS[t].includes(name));
    if (type === undefined) {
      throw new UsageError(`--${name} applies only with --rope-scaling ${takers.join('|')}`, 'run');
    }
    if (!SCALING_PARAMS[type].includes(name)) {
      throw new UsageError(`--${name} does not apply to --rope-scaling ${type} (it is a parameter of ${takers.join(', ')})`, 'run');
    }
  }
}

/**
 * Parse `llama-ops run` arguments and refuse, before anything runs, every flag that does
 * not apply: to the op, to gqa's shapes, or to the RoPE scaling type. Exported for the test
 * that checks every example in the READMEs and help texts.
 */
export function parseRunArgs(argv: readonly string[]): { op: RunOp | undefined; values: ParsedValues; help: boolean } {
  const { values, positionals } = parseFlags('run', argv, RUN_FLAGS);
  if (bool(values, 'help')) return { op: undefined, values, help: true };
  const op = positionals[0] as RunOp | undefined;
  if (op === undefined) throw new UsageError(`missing the op to run (one of ${RUN_OPS.join(', ')})`, 'run');
  if (!RUN_OPS.includes(op)) throw new UsageError(`unknown op '${op}'${didYouMean(op, RUN_OPS)} (expected one of ${RUN_OPS.join(', ')})`, 'run');
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, 'run');
  for (const name of Object.keys(values)) {
    const opSpecific = !(name in IO_FLAGS) && name in RUN_FLAGS;
    if (opSpecific && !OP_FLAGS[op].includes(name)) throw new UsageError(`option --${name} does not apply to ${op}`, 'run');
  }
  if (op === 'gqa' && values.shape !== undefined) {
    throw new UsageError('option --shape does not apply to gqa (its shapes come from --batch, --heads, --kv-heads, --head-dim, --seq-q and --seq-kv)', 'run');
  }
  if (op === 'rope') checkScalingFlags(values);
  return { op, values, help: false };
}

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

function prepareRmsnorm(op: 'rmsnorm' | 'add-rmsnorm', values: ParsedValues, src: InputSource): PreparedOp {
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

function prepareRope(values: ParsedValues, src: InputSource): PreparedOp {
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

function prepareGqa(values: ParsedValues, src: InputSource): PreparedOp {
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

/** Round host inputs to f16 so the reference sees exactly what the backend stores. */
function roundToF16(a: HostArray): HostArray {
  return { data: fromFloat16Array(toFloat16Array(a.data)), shape: a.shape };
}

export interface RunResult {
  op: RunOp;
  backend: string;
  dtype: DType;
  params: Record<string, unknown>;
  outputs: Record<string, ArraySummary & { file?: string }>;
  time: { firstMs: number; medianMs: number; runs: number };
  check?: Record<string, CheckResult>;
  pass?: boolean;
}

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { op, values, help } = parseRunArgs(argv);
  if (help || op === undefined) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const ctx = makeContext(values);
  const dtype = (str(values, 'dtype') ?? 'f32') as DType;
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype: expected f32 or f16, got '${dtype}'`, 'run');
  const seed = num(values, 'seed', 1, { integer: true, min: 0 });
  const repeat = num(values, 'repeat', 5, { integer: true, min: 0, max: 100000 });
  const src = new InputSource(parsePairs(strList(values, 'input'), '--input', OP_INPUTS[op]), seed);
  const outFiles = parseOutFiles(strList(values, 'out'), OP_OUTPUTS[op]);
  for (const file of outFiles.values()) checkWritable('--out', file, 'run');

  let prepared: PreparedOp;
  if (op === 'rmsnorm' || op === 'add-rmsnorm') prepared = prepareRmsnorm(op, values, src);
  else if (op === 'rope') prepared = prepareRope(values, src);
  else prepared = prepareGqa(values, src);
  if (dtype === 'f16') for (const [name, a] of prepared.inputs) prepared.inputs.set(name, roundToF16(a));

  const chosen = await chooseBackend(str(values, 'backend'));
  const backend = chosen.backend;
  ctx.note(ctx.errPaint.dim(`backend: ${chosen.why}`));
  try {
    const dtypes = backend.capabilities.dtypes;
    if (!dtypes.includes(dtype)) {
      throw new UsageError(`--dtype ${dtype}: the ${backend.name} backend stores ${dtypes.join(' and ')} only (f16 storage: wasm; webgpu on adapters with shader-f16)`, 'run');
    }
    const result = await execute(prepared, backend, dtype, repeat, outFiles, bool(values, 'check') === true);
    if (ctx.json) ctx.emitJson(result);
    else printRun(ctx, result);
    return result.pass === false ? 1 : 0;
  } finally {
    backend.dispose();
  }
}

/** Core's messages name API options (`options.kvLength`); the user typed flags (`--kv-length`). */
function inFlagTerms(message: string): string {
  return message.replace(/\boptions\.([a-zA-Z]+)\b/g, (whole, name: string) => {
    const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return flag in RUN_FLAGS ? `--${flag}` : whole;
  });
}

function parseOutFiles(items: readonly string[], outputs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : outputs[0];
    if (eq > 0 && !outputs.includes(name)) {
      // A path that merely contains '=' is still a path when the prefix is no output name.
      out.set(outputs[0], item);
      continue;
    }
    const path = eq > 0 ? item.slice(eq + 1) : item;
    if (path === '') throw new UsageError(`--out: empty file name in '${item}'`, 'run');
    out.set(name, path);
  }
  return out;
}

async function execute(
  p: PreparedOp,
  backend: Backend,
  dtype: DType,
  repeat: number,
  outFiles: Map<string, string>,
  check: boolean,
): Promise<RunResult> {
  const upload = (name: string) => {
    const a = p.inputs.get(name)!;
    return backend.tensor(a.data, a.shape, { dtype });
  };
  const tensors = new Map<string, Tensor>();
  let outputs: Record<string, Tensor> = {};
  const times: number[] = [];
  try {
    for (const name of p.inputs.keys()) tensors.set(name, upload(name));
    for (let run = 0; run <= repeat; run++) {
      for (const name of p.consumed) {
        if (run > 0) {
          tensors.get(name)!.dispose();
          tensors.set(name, upload(name));
        }
      }
      await backend.sync();
      for (const t of Object.values(outputs)) if (!p.consumed.some((c) => tensors.get(c) === t)) t.dispose();
      const t0 = performance.now();
      outputs = p.execute(tensors);
      await backend.sync();
      times.push(performance.now() - t0);
    }
  } catch (err) {
    // Bad option values surface as core's typed validation errors: a usage problem.
    if (err instanceof LlamaOpsError && ['E_SHAPE', 'E_VALUE', 'E_DTYPE', 'E_UNSUPPORTED', 'E_CAPACITY'].includes(err.code)) {
      throw new UsageError(inFlagTerms(err.message), 'run');
    }
    throw err;
  }

  const result: RunResult = {
    op: p.op,
    backend: backend.name,
    dtype,
    params: p.params,
    outputs: {},
    time: { firstMs: times[0], medianMs: times.length > 1 ? median(times.slice(1)) : times[0], runs: times.length - 1 },
  };
  const read: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(outputs)) {
    read[name] = await t.read();
    const file = outFiles.get(name);
    if (file) writeOutput('--out', file, encodeNpy(read[name], t.shape));
    result.outputs[name] = { ...summarise(read[name], t.shape), ...(file ? { file } : {}) };
  }
  if (check) {
    result.check = p.check(await conformance(), read, dtype);
    result.pass = Object.values(result.check).every((c) => c.pass);
  }
  for (const t of new Set([...tensors.values(), ...Object.values(outputs)])) t.dispose();
  return result;
}

function printRun(ctx: Context, r: RunResult): void {
  const { paint } = ctx;
  ctx.say(`${paint.bold(r.op)} on ${paint.cyan(r.backend)} ${paint.dim(`(${r.dtype})`)}`);
  const params = Object.entries(r.params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? (v.length > 8 ? `[${v.slice(0, 8).join(',')},…]` : fmtShape(v as number[])) : typeof v === 'object' && v !== null ? describeObject(v) : typeof v === 'number' ? fmtParam(v) : String(v)}`)
    .join('  ');
  ctx.say(paint.dim(params));
  for (const [name, s] of Object.entries(r.outputs)) {
    ctx.say(
      `  ${paint.bold(name.padEnd(3))} shape ${fmtShape(s.shape)}  min ${fmtNum(s.min)}  max ${fmtNum(s.max)}  mean ${fmtNum(s.mean)}  ` +
        `rms ${fmtNum(s.rms)}  checksum ${s.checksum}${s.nonFinite ? paint.red(`  ${s.nonFinite} non-finite`) : ''}` +
        (s.file ? `  → ${s.file}` : ''),
    );
  }
  const timeText =
    r.time.runs > 0 ? `${fmtMs(r.time.medianMs)} (median of ${r.time.runs} runs; first run ${fmtMs(r.time.firstMs)})` : `${fmtMs(r.time.firstMs)} (1 run)`;
  ctx.say(`  time ${timeText}`);
  if (r.check) {
    for (const [name, c] of Object.entries(r.check)) {
      const verdict = c.pass ? paint.green('PASS') : paint.red('FAIL');
      ctx.say(`  check ${name}: max error ${fmtErr(c.maxError)} (tolerance ${c.rule}) ${verdict}`);
      if (!c.pass) ctx.say(`    ${paint.red(c.message)}`);
    }
  }
}

function describeObject(v: object): string {
  const o = v as Record<string, unknown>;
  if ('type' in o) {
    const rest = Object.entries(o)
      .filter(([k]) => k !== 'type')
      .map(([k, x]) => `${k}:${Array.isArray(x) ? `[${x.length}]` : String(x)}`);
    return rest.length ? `${String(o.type)}{${rest.join(',')}}` : String(o.type);
  }
  return JSON.stringify(v);
}

