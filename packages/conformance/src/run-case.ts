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
import { onF16Grid } from './f16-grid.js';
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

/**
 * Whether every value of `data` is one an f16 tensor stores exactly (normal-range halves,
 * zeros, Inf and NaN), checked on the bits: about 1 ns a value.
 */
function f16Exact(data: Float32Array): boolean {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exp = (x >>> 23) & 0xff;
    if ((x & 0x1fff) === 0 && exp >= 113 && exp <= 142) continue;
    if ((x & 0x7fffffff) === 0 || exp === 0xff) continue;
    return false;
  }
  return true;
}

/** `data` itself when f16 stores it exactly (data built on the f16 grid), else {@link roundToF16}'s copy. */
function toF16(data: Float32Array): Float32Array {
  return onF16Grid.has(data) || f16Exact(data) ? data : roundToF16(data);
}

/**
 * The case's inputs as stored: rounded to f16 for f16 cases. When rounding changes nothing
 * (inputs built on the f16 grid), the f32 inputs object itself, so that a {@link CaseMemo}
 * shares its reference between a case and its f16 variant.
 */
function storedInputs(inputs: CaseInputs, dtype: CaseDType): CaseInputs {
  if (dtype === 'f32') return inputs;
  const r = toF16;
  let changed = false;
  const arrays = <T extends Float32Array | undefined | null>(a: T): T => {
    if (!a) return a;
    const out = r(a);
    if (out !== a) changed = true;
    return out as T;
  };
  let stored: CaseInputs;
  switch (inputs.op) {
    case 'rmsnorm':
      stored = { ...inputs, x: arrays(inputs.x), weight: arrays(inputs.weight), residual: arrays(inputs.residual) };
      break;
    case 'addRmsnorm':
      stored = { ...inputs, x: arrays(inputs.x), weight: arrays(inputs.weight), residual: arrays(inputs.residual) };
      break;
    case 'rope':
      stored = { ...inputs, x: arrays(inputs.x) };
      break;
    case 'gqa':
      stored = {
        ...inputs,
        q: arrays(inputs.q),
        k: arrays(inputs.k),
        v: arrays(inputs.v),
        mask: inputs.mask && { data: arrays(inputs.mask.data), shape: inputs.mask.shape },
        sinks: arrays(inputs.sinks),
      };
      break;
    case 'kvcache':
      stored = { ...inputs, steps: inputs.steps.map((s) => ({ ...s, k: arrays(s.k), v: arrays(s.v), q: arrays(s.q) })) };
      break;
  }
  return changed ? stored : inputs;
}

/**
 * What the cases of one probe share: each case's built inputs (a case and its f16 variant
 * build the same data) and the float64 results computed from them (the reference, bounds),
 * so that running one case on several backends, or a case and its f16 variant whose inputs
 * f16 stores exactly, builds and computes them once. Holds everything it is given until it
 * is dropped: make one per probe (`runQuick` and `chooseBackend` do).
 */
export class CaseMemo {
  readonly #built = new Map<() => CaseInputs, CaseInputs>();
  readonly #derived = new WeakMap<object, Map<string, unknown>>();
  /** `c.build()`, once per build function. */
  build(c: ConformanceCase): CaseInputs {
    let inputs = this.#built.get(c.build);
    if (!inputs) {
      inputs = c.build();
      this.#built.set(c.build, inputs);
    }
    return inputs;
  }
  /** `compute()`, once per inputs object and key. */
  derived<T>(inputs: object, key: string, compute: () => T): T {
    let m = this.#derived.get(inputs);
    if (!m) this.#derived.set(inputs, (m = new Map()));
    if (!m.has(key)) m.set(key, compute());
    return m.get(key) as T;
  }
  /**
   * Build `c`'s inputs and compute its float64 reference and bounds now, ahead of running it
   * (`chooseBackend` does this while a backend loads: compiling wasm and starting workers
   * leave this thread idle). KV-cache cases only build (their reference follows the steps);
   * f16 cases whose inputs f16 rounds (a fresh copy each run) are left alone.
   */
  prepare(c: ConformanceCase): void {
    const built = this.build(c);
    const stored = storedInputs(built, c.dtype);
    if (stored !== built) return;
    switch (stored.op) {
      case 'rmsnorm':
      case 'addRmsnorm':
        expectedNorm(this, stored, c.dtype);
        break;
      case 'rope':
        expectedRope(this, stored, c.dtype);
        break;
      case 'gqa':
        expectedGqa(this, stored, c.dtype);
        break;
    }
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
  #t = performance.now();
  constructor(
    readonly be: Backend,
    readonly dtype: CaseDType,
    readonly phases?: Record<string, number>,
    readonly memo?: CaseMemo,
  ) {
    this.placer = new Placer(be, dtype, (t) => this.tensors.push(t));
  }
  /** `compute()`, or its memoised result for these inputs (see {@link CaseMemo}). */
  derived<T>(inputs: object, key: string, compute: () => T): T {
    return this.memo ? this.memo.derived(inputs, key, compute) : compute();
  }
  /** Adds the time since the last lap to phase `name` (when timing phases). */
  lap(name: string): void {
    if (!this.phases) return;
    const now = performance.now();
    this.phases[name] = (this.phases[name] ?? 0) + now - this.#t;
    this.#t = now;
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

/** Per-element bound of RMSNorm: `coef * max(1, |ref[i]|)`. */
function rmsBounds(coef: number, ref: Float64Array): Float64Array {
  const out = new Float64Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = coef * Math.max(1, Math.abs(ref[i]));
  return out;
}

/** Memoises results computed from a case's inputs alone: a {@link CaseMemo}, or a runner's scope. */
interface Derive {
  derived<T>(inputs: object, key: string, compute: () => T): T;
}

/** The reference of an RMSNorm case and the bounds of its outputs. */
function expectedNorm(d: Derive, c: RmsnormCaseInputs | AddRmsnormCaseInputs, dtype: CaseDType) {
  const coef = TOLERANCES[dtype].rmsnorm;
  const ref = d.derived(c, 'reference', () => referenceAddRmsnorm(c.x, c.residual ?? null, c.shape, c.weight, c.options));
  const yBounds = d.derived(c, `bounds ${dtype}`, () => rmsBounds(coef, ref.y));
  const sumBounds = c.op === 'addRmsnorm' ? d.derived(c, `sum bounds ${dtype}`, () => rmsBounds(coef, ref.sum)) : null;
  return { ref, yBounds, sumBounds };
}

/** The reference of a RoPE case and its per-element bounds. */
function expectedRope(d: Derive, c: RopeCaseInputs, dtype: CaseDType) {
  const ref = d.derived(c, 'reference', () => referenceRope(c.x, c.shape, c.options));
  const bounds = d.derived(c, `bounds ${dtype}`, () => ropeBounds(c, TOLERANCES[dtype].rope));
  return { ref, bounds };
}

/** The reference of a GQA case and its bound. */
function expectedGqa(d: Derive, c: GqaCaseInputs, dtype: CaseDType) {
  const ref = d.derived(c, 'reference', () => referenceGqa(c.q, c.k, c.v, { q: c.qShape, k: c.kShape, v: c.vShape }, { ...c.options, mask: c.mask, sinks: c.sinks }));
  const bound = TOLERANCES[dtype].gqa * Math.max(1, d.derived(c, 'max |v|', () => maxAbsValid(c.v, c.vShape, c.options.kvLength)));
  return { ref, bound };
}

async function runRmsnorm(s: Scope, c: RmsnormCaseInputs | AddRmsnormCaseInputs): Promise<Comparison[]> {
  const d = c.shape[c.shape.length - 1];
  const placed = c.placement === 'packed' ? 'strided' : c.placement;
  const x = s.tensor('x', c.x, c.shape, true, placed);
  const w = s.tensor('weight', c.weight, [d]);
  const res = c.residual ? s.tensor('residual', c.residual, c.shape, true, placed) : undefined;
  s.lap('upload');
  const { ref, yBounds, sumBounds } = expectedNorm(s, c, s.dtype);
  s.lap('reference');
  if (c.op === 'rmsnorm') {
    const out = s.out(placed, c.shape, 'rmsnorm out');
    s.lap('upload');
    const y = rmsnorm(x, w, { ...c.options, residual: res, out });
    if (placed === 'dense' || placed === undefined) s.own(y);
    s.lap('op');
    const got = await y.read();
    s.lap('read');
    const cmp = [compare(got, ref.y, yBounds, 'rmsnorm y', c.shape)];
    s.lap('check');
    return cmp;
  }
  const outY = s.out(placed, c.shape, 'addRmsnorm outY');
  const outSum = s.out(placed, c.shape, 'addRmsnorm outSum');
  s.lap('upload');
  const { y, sum } = addRmsnorm(x, res as Tensor, w, { ...c.options, outY, outSum });
  if (placed === 'dense' || placed === undefined) {
    s.own(y);
    s.own(sum);
  }
  s.lap('op');
  const [gy, gs] = [await y.read(), await sum.read()];
  s.lap('read');
  const cmp = [compare(gy, ref.y, yBounds, 'addRmsnorm y', c.shape), compare(gs, ref.sum, sumBounds as Float64Array, 'addRmsnorm sum', c.shape)];
  s.lap('check');
  return cmp;
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
  const x = c.x;
  const out = new Float64Array(x.length);
  // Pair (a, b) of rotated element i: (2i, 2i + 1) interleaved, else (i, i + half).
  const step = c.options.interleaved ? 2 : 1;
  const gap = c.options.interleaved ? 1 : half;
  for (let o = 0; o < x.length; o += headDim) {
    for (let i = 0; i < half; i++) {
      const ia = o + step * i;
      const ib = ia + gap;
      const m = coef * Math.max(1, Math.max(Math.abs(x[ia]), Math.abs(x[ib])) * af);
      out[ia] = m;
      out[ib] = m;
    }
    for (let i = rotaryDim; i < headDim; i++) out[o + i] = coef * Math.max(1, Math.abs(x[o + i]));
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
  s.lap('upload');
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
  s.lap('op');
  const got = await out.read();
  s.lap('read');
  const { ref, bounds } = expectedRope(s, c, s.dtype);
  s.lap('reference');
  comparisons.push(compare(got, ref, bounds, c.options.inPlace ? 'rope (in place) x' : 'rope output', c.shape));
  s.lap('check');
  return { comparisons, inPlaceOf: c.options.inPlace ? x : null };
}

/** `max|v|` over the entries a GQA call may read (`j < kvLength[b]`), ignoring non-finite ones. */
export function maxAbsValid(v: Float32Array, vShape: readonly number[], kvLength: number | readonly number[] | undefined): number {
  const [B, Skv, Hkv, Dv] = vShape;
  let m = 0;
  for (let b = 0; b < B; b++) {
    const len = kvLength === undefined ? Skv : typeof kvLength === 'number' ? kvLength : kvLength[b];
    const start = b * Skv * Hkv * Dv;
    const end = start + len * Hkv * Dv;
    for (let i = start; i < end; i++) {
      const a = Math.abs(v[i]);
      if (a > m && a !== Infinity) m = a; // NaN compares false
    }
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
  s.lap('upload');
  const out = gqa(q, k, v, { ...c.options, mask, sinks, out: userOut });
  if (userOut === undefined) s.own(out);
  s.lap('op');
  const got = await out.read();
  s.lap('read');
  const { ref, bound } = expectedGqa(s, c, s.dtype);
  s.lap('reference');
  const cmp = [compare(got, ref, bound, 'gqa output', [B, Sq, Hq, c.vShape[3]])];
  s.lap('check');
  return cmp;
}

async function runKvCache(s: Scope, c: KvCacheCaseInputs): Promise<Comparison[]> {
  const { batch: B, capacity, headsQ: Hq, kvHeads: Hkv, headDim: D, headDimV: Dv } = c;
  const cache = createKVCache(s.be, { batch: B, capacity, kvHeads: Hkv, headDim: D, headDimV: Dv, dtype: s.dtype });
  s.own(cache.k);
  s.own(cache.v);
  s.lap('upload');
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
    s.lap('upload');
    cache.append(kNew, vNew);
    s.lap('op');
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
    s.lap('upload');
    const out = gqa(q, cache.k, cache.v, { ...c.options, kvLength: cache.length, out: userOut });
    if (userOut === undefined) s.own(out);
    s.lap('op');
    const got = await out.read();
    s.lap('read');
    const shapes = { q: [B, step.seqQ, Hq, D], k: [B, capacity, Hkv, D], v: [B, capacity, Hkv, Dv] };
    const stepQ = step.q;
    const ref = s.derived(c, `step ${index} reference`, () => referenceGqa(stepQ, refK, refV, shapes, { ...c.options, kvLength: length }));
    s.lap('reference');
    const bound = TOLERANCES[s.dtype].gqa * Math.max(1, s.derived(c, `step ${index} max |v|`, () => maxAbsValid(refV, shapes.v, length)));
    comparisons.push(compare(got, ref, bound, `step ${index} (cache length ${length}, ${step.seqQ} queries) gqa output`, [B, step.seqQ, Hq, Dv]));
    s.lap('check');
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
  /**
   * Where to add this case's time by phase, in ms (for profiling the probe, see
   * bench/quick-probe.mjs): `build` (inputs, f16 rounding), `upload` (tensor creation),
   * `op`, `read`, `reference` (float64), `check` (comparisons, input and gap read-backs),
   * `dispose`. Keys are added to whatever the record holds.
   */
  phases?: Record<string, number>;
  /** Share built inputs and reference results with other runs (see {@link CaseMemo}). */
  memo?: CaseMemo;
}

export async function runCase(backend: Backend, c: ConformanceCase, options: RunCaseOptions = {}): Promise<CaseResult> {
  const t0 = performance.now();
  const scope = new Scope(backend, c.dtype, options.phases, options.memo);
  let parameters = '';
  try {
    const built = options.memo ? options.memo.build(c) : c.build();
    parameters = describeParameters(built);
    const inputs = storedInputs(built, c.dtype);
    scope.lap('build');
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
    scope.lap('check');
    comparisons.push(...(await scope.checkInputsUntouched(inPlaceOf, options.inputCheckLimit)));
    comparisons.push(...(await scope.placer.checkGaps()));
    scope.lap('check');
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
    scope.lap('dispose');
  }
}
