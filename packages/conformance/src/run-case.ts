/**
 * The one generic runner: creates a case's tensors on the backend (`be.tensor`), calls core's
 * public op, reads back, compares with the float64 reference under SPEC.md's tolerances,
 * checks that no input was written (unless `inPlace`), and disposes everything. It never
 * throws: a backend error becomes a failed result whose message says what threw.
 */
import {
  addRmsnorm,
  createKVCache,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  gqa,
  rmsnorm,
  rope,
  type Backend,
  type Tensor,
} from '@llama-ops/core';
import { compare, TOLERANCES, type Comparison } from './check.js';
import type {
  AddRmsnormCaseInputs,
  CaseDType,
  CaseInputs,
  CaseOp,
  CasePlacement,
  ConformanceCase,
  GqaCaseInputs,
  KvCacheCaseInputs,
  RmsnormCaseInputs,
  RopeCaseInputs,
} from './cases/types.js';
import { describeParameters } from './cases/parameters.js';
import { Placer, type PackedPart } from './placement.js';
import { referenceAddRmsnorm, referenceGqa, referenceRope, referenceRopeFrequencies, referenceRopePositions } from './reference/index.js';

/** Outcome of one case on one backend. */
export interface CaseResult {
  readonly id: string;
  readonly op: CaseOp;
  readonly dtype: CaseDType;
  /** Every output within tolerance, NaN/Inf rules met, inputs untouched, nothing threw. */
  readonly pass: boolean;
  /** Largest absolute error over every checked output (Infinity on a NaN/Inf mismatch or error). */
  readonly maxError: number;
  /** The tolerance bound at the worst element. */
  readonly bound: number;
  /** Flat index of the worst element in the output named in the message (-1 if none). */
  readonly worstIndex: number;
  /**
   * What passed or what failed, where, by how much; a failure adds a second line,
   * `  parameters: …`, with {@link CaseResult.parameters}.
   */
  readonly message: string;
  /** The case's shapes and options in one line (per-batch values included); empty if it could not be built. */
  readonly parameters: string;
  /** Per-output comparisons (labelled in their messages). */
  readonly comparisons: readonly Comparison[];
  /** Wall-clock milliseconds (build, upload, run, read, reference). */
  readonly ms: number;
}

/**
 * Round float32 values to the nearest float16 (what an f16 tensor stores), ties to even.
 * Values in f16's normal range are rounded on their bits in place (about 50x faster than a
 * per-value conversion, which matters for the multi-MiB cases); the rest (|x| < 2^-14,
 * overflow, Inf, NaN) go through core's exact conversion.
 */
export function roundToF16(data: Float32Array): Float32Array {
  const out = new Float32Array(data);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exp = (x >>> 23) & 0xff;
    if (exp >= 113 && exp <= 141) {
      // f16 keeps 10 of float32's 23 mantissa bits: round the low 13 to nearest, ties to even.
      // A carry into the exponent is the correct rounding (up to 65504 -> Inf handled below).
      const r = (x + 0xfff + ((x >>> 13) & 1)) & ~0x1fff;
      if (((r >>> 23) & 0xff) <= 142) {
        bits[i] = r;
        continue;
      }
    }
    out[i] = float16BitsToFloat32(float32ToFloat16Bits(data[i]));
  }
  return out;
}

/** The case's inputs as stored: rounded to f16 for f16 cases. */
function storedInputs(inputs: CaseInputs, dtype: CaseDType): CaseInputs {
  if (dtype === 'f32') return inputs;
  const r = roundToF16;
  switch (inputs.op) {
    case 'rmsnorm':
      return { ...inputs, x: r(inputs.x), weight: r(inputs.weight), residual: inputs.residual && r(inputs.residual) };
    case 'addRmsnorm':
      return { ...inputs, x: r(inputs.x), weight: r(inputs.weight), residual: r(inputs.residual) };
    case 'rope':
      return { ...inputs, x: r(inputs.x) };
    case 'gqa':
      return {
        ...inputs,
        q: r(inputs.q),
        k: r(inputs.k),
        v: r(inputs.v),
        mask: inputs.mask && { data: r(inputs.mask.data), shape: inputs.mask.shape },
        sinks: inputs.sinks && r(inputs.sinks),
      };
    case 'kvcache':
      return { ...inputs, steps: inputs.steps.map((s) => ({ ...s, k: r(s.k), v: r(s.v), q: s.q && r(s.q) })) };
  }
}

/** Bitwise-equal as floats (NaN equals NaN). */
function sameValues(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return i;
  return -1;
}

/** Tracks tensors so that everything is disposed, whatever happens. */
class Scope {
  readonly tensors: Tensor[] = [];
  readonly inputs: Array<{ name: string; tensor: Tensor; data: Float32Array }> = [];
  readonly placer: Placer;
  constructor(
    readonly be: Backend,
    readonly dtype: CaseDType,
  ) {
    this.placer = new Placer(be, dtype, (t) => this.tensors.push(t));
  }
  /** An input tensor; with `strided` placement (and a row-addressed input) a view inside a larger tensor. */
  tensor(name: string, data: Float32Array, shape: readonly number[], input = true, placement: CasePlacement = 'dense'): Tensor {
    const t = placement === 'dense' ? this.be.tensor(data, shape, { dtype: this.dtype }) : this.placer.strided(data, shape);
    this.tensors.push(t);
    if (input) this.inputs.push({ name, tensor: t, data });
    return t;
  }
  /** Inputs as views of one packed tensor (see `placement.ts`). */
  packed(parts: readonly PackedPart[]): Tensor[] {
    const views = this.placer.packed(parts);
    for (const [i, t] of views.entries()) this.inputs.push({ name: parts[i].name, tensor: t, data: parts[i].data });
    return views;
  }
  /** Where an op writes its output: undefined (a new tensor) for dense placement, else a view checked for writes outside it. */
  out(placement: CasePlacement | undefined, shape: readonly number[], label: string): Tensor | undefined {
    return placement === undefined || placement === 'dense' ? undefined : this.placer.output(shape, label);
  }
  own<T extends Tensor>(t: T): T {
    this.tensors.push(t);
    return t;
  }
  /** Comparisons that fail when an input no longer holds what was uploaded. */
  async checkInputsUntouched(skip: Tensor | null, limit = Infinity): Promise<Comparison[]> {
    const out: Comparison[] = [];
    for (const { name, tensor, data } of this.inputs) {
      if (tensor === skip || data.length > limit) continue;
      const now = await tensor.read();
      const i = sameValues(data, now);
      if (i >= 0) {
        out.push({
          pass: false,
          maxError: Infinity,
          bound: 0,
          worstIndex: i,
          failures: 1,
          message: `input ${name} was modified by the op (index ${i}: uploaded ${data[i]}, now ${now[i]}); ops must not write their inputs unless inPlace`,
        });
      }
    }
    return out;
  }
  dispose(): void {
    for (const t of this.tensors) {
      try {
        t.dispose();
      } catch {
        // a failing dispose must not hide the case's own result
      }
    }
  }
}

function rmsBound(coef: number, ref: Float64Array) {
  return (i: number) => coef * Math.max(1, Math.abs(ref[i]));
}

async function runRmsnorm(s: Scope, c: RmsnormCaseInputs | AddRmsnormCaseInputs): Promise<Comparison[]> {
  const coef = TOLERANCES[s.dtype].rmsnorm;
  const d = c.shape[c.shape.length - 1];
  const placed = c.placement === 'packed' ? 'strided' : c.placement;
  const x = s.tensor('x', c.x, c.shape, true, placed);
  const w = s.tensor('weight', c.weight, [d]);
  const res = c.residual ? s.tensor('residual', c.residual, c.shape, true, placed) : undefined;
  const ref = referenceAddRmsnorm(c.x, c.residual ?? null, c.shape, c.weight, c.options);
  if (c.op === 'rmsnorm') {
    const y = rmsnorm(x, w, { ...c.options, residual: res, out: s.out(placed, c.shape, 'rmsnorm out') });
    if (placed === 'dense' || placed === undefined) s.own(y);
    const got = await y.read();
    return [compare(got, ref.y, rmsBound(coef, ref.y), 'rmsnorm y', c.shape)];
  }
  const { y, sum } = addRmsnorm(x, res as Tensor, w, { ...c.options, outY: s.out(placed, c.shape, 'addRmsnorm outY'), outSum: s.out(placed, c.shape, 'addRmsnorm outSum') });
  if (placed === 'dense' || placed === undefined) {
    s.own(y);
    s.own(sum);
  }
  const [gy, gs] = [await y.read(), await sum.read()];
  return [compare(gy, ref.y, rmsBound(coef, ref.y), 'addRmsnorm y', c.shape), compare(gs, ref.sum, rmsBound(coef, ref.sum), 'addRmsnorm sum', c.shape)];
}

/**
 * Per-element bound of RoPE: `coef * max(1, |x|)` where, for a rotated element, `|x|` is
 * `max(|a|, |b|)` of its pair times `max(1, attentionFactor)`; for a pass-through element,
 * its own `|x|`.
 */
export function ropeBounds(c: RopeCaseInputs, coef: number): Float64Array {
  const [batch, seq, heads, headDim] = c.shape;
  const rotaryDim = c.options.rotaryDim ?? headDim;
  const half = rotaryDim / 2;
  const { maxPosition } = referenceRopePositions(c.options.positions, batch, seq);
  const { attentionFactor } = referenceRopeFrequencies(rotaryDim, c.options.theta ?? 10000, c.options.scaling, maxPosition);
  const af = Math.max(1, attentionFactor);
  const out = new Float64Array(c.x.length);
  for (let o = 0; o < c.x.length; o += headDim) {
    for (let i = 0; i < half; i++) {
      const ia = c.options.interleaved ? o + 2 * i : o + i;
      const ib = c.options.interleaved ? o + 2 * i + 1 : o + i + half;
      const m = coef * Math.max(1, Math.max(Math.abs(c.x[ia]), Math.abs(c.x[ib])) * af);
      out[ia] = m;
      out[ib] = m;
    }
    for (let i = rotaryDim; i < headDim; i++) out[o + i] = coef * Math.max(1, Math.abs(c.x[o + i]));
  }
  void heads;
  return out;
}

async function runRope(s: Scope, c: RopeCaseInputs): Promise<{ comparisons: Comparison[]; inPlaceOf: Tensor | null }> {
  let x: Tensor;
  if (c.placement === 'packed') {
    // x as the k of a packed QKV projection, with NaN neighbours a stray read would pick up.
    const neighbour = new Float32Array(c.x.length).fill(Number.NaN);
    [, x] = s.packed([
      { name: 'q (packed neighbour)', data: neighbour, shape: c.shape },
      { name: 'x', data: c.x, shape: c.shape },
      { name: 'v (packed neighbour)', data: neighbour, shape: c.shape },
    ]);
  } else {
    x = s.tensor('x', c.x, c.shape, true, c.placement);
  }
  const userOut = c.options.inPlace ? undefined : s.out(c.placement, c.shape, 'rope out');
  const out = rope(x, { ...c.options, out: userOut });
  const comparisons: Comparison[] = [];
  if (c.options.inPlace) {
    if (out !== x) {
      s.own(out);
      comparisons.push({ pass: false, maxError: Infinity, bound: 0, worstIndex: -1, failures: 1, message: 'rope with inPlace: true did not return x itself' });
    }
  } else if (userOut === undefined) {
    s.own(out);
  } else if (out !== userOut) {
    s.own(out);
    comparisons.push({ pass: false, maxError: Infinity, bound: 0, worstIndex: -1, failures: 1, message: 'rope with out did not return out' });
  }
  const got = await out.read();
  const ref = referenceRope(c.x, c.shape, c.options);
  const bounds = ropeBounds(c, TOLERANCES[s.dtype].rope);
  comparisons.push(compare(got, ref, (i) => bounds[i], c.options.inPlace ? 'rope (in place) x' : 'rope output', c.shape));
  return { comparisons, inPlaceOf: c.options.inPlace ? x : null };
}

/** `max|v|` over the entries a GQA call may read (`j < kvLength[b]`), ignoring non-finite ones. */
export function maxAbsValid(v: Float32Array, vShape: readonly number[], kvLength: number | readonly number[] | undefined): number {
  const [B, Skv, Hkv, Dv] = vShape;
  let m = 0;
  for (let b = 0; b < B; b++) {
    const len = kvLength === undefined ? Skv : typeof kvLength === 'number' ? kvLength : kvLength[b];
    const start = b * Skv * Hkv * Dv;
    for (let i = start; i < start + len * Hkv * Dv; i++) if (Number.isFinite(v[i])) m = Math.max(m, Math.abs(v[i]));
  }
  return m;
}

async function runGqa(s: Scope, c: GqaCaseInputs): Promise<Comparison[]> {
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (c.placement === 'packed') {
    const kv: PackedPart[] = [
      { name: 'k', data: c.k, shape: c.kShape },
      { name: 'v', data: c.v, shape: c.vShape },
    ];
    if (c.qShape[1] === c.kShape[1]) [q, k, v] = s.packed([{ name: 'q', data: c.q, shape: c.qShape }, ...kv]);
    else {
      q = s.tensor('q', c.q, c.qShape, true, 'strided');
      [k, v] = s.packed(kv);
    }
  } else {
    q = s.tensor('q', c.q, c.qShape, true, c.placement);
    k = s.tensor('k', c.k, c.kShape, true, c.placement);
    v = s.tensor('v', c.v, c.vShape, true, c.placement);
  }
  const mask = c.mask ? s.tensor('mask', c.mask.data, c.mask.shape) : undefined;
  const sinks = c.sinks ? s.tensor('sinks', c.sinks, [c.sinks.length]) : undefined;
  const [B, Sq, Hq] = c.qShape;
  const userOut = s.out(c.placement, [B, Sq, Hq, c.vShape[3]], 'gqa out');
  const out = gqa(q, k, v, { ...c.options, mask, sinks, out: userOut });
  if (userOut === undefined) s.own(out);
  const got = await out.read();
  const ref = referenceGqa(c.q, c.k, c.v, { q: c.qShape, k: c.kShape, v: c.vShape }, { ...c.options, mask: c.mask, sinks: c.sinks });
  const bound = TOLERANCES[s.dtype].gqa * Math.max(1, maxAbsValid(c.v, c.vShape, c.options.kvLength));
  return [compare(got, ref, () => bound, 'gqa output', [B, Sq, Hq, c.vShape[3]])];
}

async function runKvCache(s: Scope, c: KvCacheCaseInputs): Promise<Comparison[]> {
  const { batch: B, capacity, headsQ: Hq, kvHeads: Hkv, headDim: D, headDimV: Dv } = c;
  const cache = createKVCache(s.be, { batch: B, capacity, kvHeads: Hkv, headDim: D, headDimV: Dv, dtype: s.dtype });
  s.own(cache.k);
  s.own(cache.v);
  const refK = new Float32Array(B * capacity * Hkv * D);
  const refV = new Float32Array(B * capacity * Hkv * Dv);
  let length = 0;
  const comparisons: Comparison[] = [];
  for (const [index, step] of c.steps.entries()) {
    if (step.reset) {
      cache.reset();
      length = 0;
    }
    let kNew: Tensor;
    let vNew: Tensor;
    let qPacked: Tensor | null = null;
    if (c.placement === 'packed' || c.placement === 'strided') {
      // The step's projections as views of one packed [B, n, (Hq + Hkv) d + Hkv dv] tensor.
      const parts: PackedPart[] = [
        { name: `steps[${index}].k`, data: step.k, shape: [B, step.n, Hkv, D] },
        { name: `steps[${index}].v`, data: step.v, shape: [B, step.n, Hkv, Dv] },
      ];
      if (step.q && step.seqQ === step.n) [qPacked, kNew, vNew] = s.packed([{ name: `steps[${index}].q`, data: step.q, shape: [B, step.n, Hq, D] }, ...parts]);
      else [kNew, vNew] = s.packed(parts);
    } else {
      kNew = s.tensor(`steps[${index}].k`, step.k, [B, step.n, Hkv, D]);
      vNew = s.tensor(`steps[${index}].v`, step.v, [B, step.n, Hkv, Dv]);
    }
    cache.append(kNew, vNew);
    for (let b = 0; b < B; b++) {
      refK.set(step.k.subarray(b * step.n * Hkv * D, (b + 1) * step.n * Hkv * D), (b * capacity + length) * Hkv * D);
      refV.set(step.v.subarray(b * step.n * Hkv * Dv, (b + 1) * step.n * Hkv * Dv), (b * capacity + length) * Hkv * Dv);
    }
    length += step.n;
    if (cache.length !== length) {
      comparisons.push({ pass: false, maxError: Infinity, bound: 0, worstIndex: -1, failures: 1, message: `step ${index}: cache.length is ${cache.length}, expected ${length}` });
    }
    if (!step.q) continue;
    const q = qPacked ?? s.tensor(`steps[${index}].q`, step.q, [B, step.seqQ, Hq, D], true, c.placement);
    const userOut = s.out(c.placement, [B, step.seqQ, Hq, Dv], `step ${index} gqa out`);
    const out = gqa(q, cache.k, cache.v, { ...c.options, kvLength: cache.length, out: userOut });
    if (userOut === undefined) s.own(out);
    const got = await out.read();
    const shapes = { q: [B, step.seqQ, Hq, D], k: [B, capacity, Hkv, D], v: [B, capacity, Hkv, Dv] };
    const ref = referenceGqa(step.q, refK, refV, shapes, { ...c.options, kvLength: length });
    const bound = TOLERANCES[s.dtype].gqa * Math.max(1, maxAbsValid(refV, shapes.v, length));
    comparisons.push(compare(got, ref, () => bound, `step ${index} (cache length ${length}, ${step.seqQ} queries) gqa output`, [B, step.seqQ, Hq, Dv]));
  }
  return comparisons;
}

/** A failure message with the case's parameters on a second line. */
const withParameters = (message: string, parameters: string) => (parameters ? `${message}\n  parameters: ${parameters}` : message);

function summarise(c: ConformanceCase, parameters: string, comparisons: Comparison[], ms: number): CaseResult {
  const failed = comparisons.find((x) => !x.pass);
  const maxError = comparisons.reduce((m, x) => Math.max(m, x.maxError), 0);
  const worst = failed ?? comparisons.reduce((a, b) => (b.maxError > a.maxError ? b : a), comparisons[0]);
  return {
    id: c.id,
    op: c.op,
    dtype: c.dtype,
    pass: failed === undefined && comparisons.length > 0,
    maxError,
    bound: worst?.bound ?? 0,
    worstIndex: worst?.worstIndex ?? -1,
    message: failed
      ? withParameters(`${c.id}: ${failed.message}`, parameters)
      : `${c.id}: pass (max |error| ${maxError.toPrecision(3)}; ${comparisons.length} output(s) checked)`,
    parameters,
    comparisons,
    ms,
  };
}

/**
 * Run one case on `backend` and compare with the reference. Never throws.
 * @example
 * const r = await runCase(be, cases.find((c) => c.id === 'gqa/window/one')!);
 * if (!r.pass) console.error(r.message);
 */
/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /**
   * Check that inputs of at most this many elements were not written (default: every input).
   * The quick probe lowers it so that multi-MiB inputs are not read back.
   */
  inputCheckLimit?: number;
}

export async function runCase(backend: Backend, c: ConformanceCase, options: RunCaseOptions = {}): Promise<CaseResult> {
  const t0 = performance.now();
  const scope = new Scope(backend, c.dtype);
  let parameters = '';
  try {
    const built = c.build();
    parameters = describeParameters(built);
    const inputs = storedInputs(built, c.dtype);
    let comparisons: Comparison[];
    let inPlaceOf: Tensor | null = null;
    switch (inputs.op) {
      case 'rmsnorm':
      case 'addRmsnorm':
        comparisons = await runRmsnorm(scope, inputs);
        break;
      case 'rope':
        ({ comparisons, inPlaceOf } = await runRope(scope, inputs));
        break;
      case 'gqa':
        comparisons = await runGqa(scope, inputs);
        break;
      case 'kvcache':
        comparisons = await runKvCache(scope, inputs);
        break;
    }
    comparisons.push(...(await scope.checkInputsUntouched(inPlaceOf, options.inputCheckLimit)));
    comparisons.push(...(await scope.placer.checkGaps()));
    return summarise(c, parameters, comparisons, performance.now() - t0);
  } catch (err) {
    const e = err as Error;
    const what = e && typeof e === 'object' && 'message' in e ? `${e.name}: ${e.message}` : String(err);
    return {
      id: c.id,
      op: c.op,
      dtype: c.dtype,
      pass: false,
      maxError: Infinity,
      bound: 0,
      worstIndex: -1,
      message: withParameters(`${c.id}: threw ${what}`, parameters),
      parameters,
      comparisons: [],
      ms: performance.now() - t0,
    };
  } finally {
    scope.dispose();
  }
}
