import { ShapeError, ValueError } from '../errors.js';
import { checkRopeScaling, ropeFrequencies, type RopeScaling } from '../rope/scaling.js';
import { ropeTableForPositions, ropeTableForRange } from '../rope/table.js';
import type { Tensor } from '../tensor.js';
import { checkBoolean, checkNumber, checkOptions, checkTensor, formatShape } from '../validation.js';
import { checkOut, KernelCall, sameMemory } from './operands.js';

/** Options of {@link rope}. */
export interface RopeOptions {
  /**
   * Token positions: a start offset `p0` (token `s` is at `p0 + s`, for every batch), or an
   * `Int32Array` of `[batch, seq]` explicit non-negative positions. Default 0.
   */
  positions?: number | Int32Array;
  /** The frequency base. Default 10000 (Llama 3 uses 500000). */
  theta?: number;
  /** Number of rotated dims (even, `<= headDim`); the rest pass through. Default `headDim`. */
  rotaryDim?: number;
  /**
   * Pairing: false (default) pairs `(i, i + rotaryDim/2)` (HF "rotate_half", GPT-NeoX);
   * true pairs `(2i, 2i+1)` (Meta's original Llama, GPT-J).
   */
  interleaved?: boolean;
  /** Frequency scaling (default | linear | dynamic | llama3 | yarn | longrope). */
  scaling?: RopeScaling;
  /** Write the result into `x` and return `x` (default false: a new tensor). */
  inPlace?: boolean;
  /**
   * Write the result into this tensor (shape and dtype of `x`, same backend; it may be a view,
   * e.g. the next slot of a KV cache) and return it. `out: x` is the same as `inPlace: true`;
   * any other overlap with `x` is an error.
   */
  out?: Tensor;
}

const ROPE_OPTIONS = ['positions', 'theta', 'rotaryDim', 'interleaved', 'scaling', 'inPlace', 'out'] as const;

/** Default RoPE base (SPEC.md). */
export const DEFAULT_ROPE_THETA = 10000;

/** Largest position RoPE accepts (positions are int32). */
export const MAX_ROPE_POSITION = 2 ** 31 - 1;

/**
 * Rotary position embedding (Su et al. 2021): rotates each pair `(a, b)` of every head by
 * `angle = position * invFreq[i]`: `a' = a cos - b sin`, `b' = b cos + a sin`, times the
 * scaling's attention factor. A deterministic rotation, not a random or additive code.
 *
 * @param x - `[batch, seq, heads, headDim]` (q or k, layout bshd)
 * @returns a new tensor shaped like `x` (or `x` itself with `inPlace`).
 * @example
 * const qr = rope(q, { positions: 0, theta: 500000, scaling: { type: 'llama3', factor: 8,
 *   lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } });
 */
export function rope(x: Tensor, options?: RopeOptions): Tensor {
  const op = 'rope';
  const o = checkOptions(op, options, ROPE_OPTIONS);
  checkTensor(op, 'x', x, 4);
  const [batch, seq, heads, headDim] = x.shape;

  if (o.rotaryDim === undefined && headDim % 2 !== 0) {
    throw new ShapeError({
      op,
      argument: 'x',
      expected: 'an even headDim (or an even options.rotaryDim < headDim)',
      actual: `headDim ${headDim} in ${formatShape(x.shape)}`,
    });
  }
  const rotaryDim = o.rotaryDim === undefined ? headDim : checkNumber(op, 'options.rotaryDim', o.rotaryDim, { integer: true, min: 2 });
  if (rotaryDim % 2 !== 0 || rotaryDim > headDim) {
    throw new ValueError({ op, argument: 'options.rotaryDim', expected: `an even integer in [2, ${headDim}] (headDim)`, actual: String(rotaryDim) });
  }
  const theta = o.theta === undefined ? DEFAULT_ROPE_THETA : checkNumber(op, 'options.theta', o.theta, { min: 1, minExclusive: true });
  const interleaved = o.interleaved === undefined ? false : checkBoolean(op, 'options.interleaved', o.interleaved);
  const inPlace = o.inPlace === undefined ? false : checkBoolean(op, 'options.inPlace', o.inPlace);
  const scaling = checkRopeScaling(o.scaling, rotaryDim);

  let start = 0;
  let positions: Int32Array | null = null;
  let maxPosition: number;
  if (o.positions === undefined || typeof o.positions === 'number') {
    start = o.positions === undefined ? 0 : checkNumber(op, 'options.positions', o.positions, { integer: true, min: 0 });
    maxPosition = start + seq - 1;
    if (maxPosition > MAX_ROPE_POSITION) {
      throw new ValueError({ op, argument: 'options.positions', expected: `start + seq - 1 <= ${MAX_ROPE_POSITION}`, actual: String(maxPosition) });
    }
  } else if (o.positions instanceof Int32Array) {
    positions = o.positions;
    if (positions.length !== batch * seq) {
      throw new ShapeError({
        op,
        argument: 'options.positions',
        expected: `${batch * seq} positions ([batch, seq] = [${batch}, ${seq}])`,
        actual: `${positions.length} positions`,
      });
    }
    maxPosition = 0;
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      if (p < 0) {
        throw new ValueError({ op, argument: `options.positions[${i}]`, expected: 'a non-negative position', actual: String(p) });
      }
      if (p > maxPosition) maxPosition = p;
    }
  } else {
    throw new ValueError({
      op,
      argument: 'options.positions',
      expected: 'a non-negative integer start offset or an Int32Array [batch, seq]',
      actual: Array.isArray(o.positions) ? 'an Array (use Int32Array.from(...))' : String(o.positions),
    });
  }

  if (o.out !== undefined) checkTensor(op, 'options.out', o.out);
  const inPlaceOut = o.out !== undefined && sameMemory(o.out, x) && o.out.dtype === x.dtype && o.out.shape.every((d, i) => d === x.shape[i]);
  if (inPlace && o.out !== undefined && !inPlaceOut) {
    throw new ValueError({ op, argument: 'options.out', expected: 'x itself, or no out (inPlace: true writes into x)', actual: 'another tensor' });
  }
  const userOut = inPlace || inPlaceOut ? x : checkOut(op, 'options.out', o.out, x.backend, x.shape, x.dtype, [['x', x]]);

  const freq = ropeFrequencies(rotaryDim, theta, scaling, maxPosition);
  const table = positions ? ropeTableForPositions(freq, positions) : ropeTableForRange(freq, start, seq);
  const token = heads * headDim;
  const call = new KernelCall(op, x.backend);
  if (userOut === x) {
    // In place: the kernel reads and writes the same operand (staged as one dense copy if need be).
    const io = call.inOut(x, token);
    call.run(() => x.backend.kernels.rope({ x: io.storage, out: io.storage, batch, seq, heads, headDim, rotaryDim, interleaved, table, dtype: x.dtype, layout: { x: io.layout, out: io.layout } }));
    return x;
  }
  const xs = call.input(x, token);
  const out = userOut ?? call.create(x.shape, x.dtype);
  const os = call.output(out, token);
  call.run(() => x.backend.kernels.rope({ x: xs.storage, out: os.storage, batch, seq, heads, headDim, rotaryDim, interleaved, table, dtype: x.dtype, layout: { x: xs.layout, out: os.layout } }));
  return out;
}
