import { ShapeError, ValueError } from '../errors.js';
import { checkRopeScaling, ropeFrequencies, type RopeScaling } from '../rope/scaling.js';
import { ropeTableForPositions, ropeTableForRange } from '../rope/table.js';
import { checkBoolean, checkNumber, checkOptions, checkTensor, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

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
}

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
  const o = checkOptions(op, options);
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

  const freq = ropeFrequencies(rotaryDim, theta, scaling, maxPosition);
  const table = positions ? ropeTableForPositions(freq, positions) : ropeTableForRange(freq, start, seq);
  const out = inPlace ? x : x.backend.empty(x.shape, { dtype: x.dtype });
  x.backend.kernels.rope({
    x: x.storage,
    out: out.storage,
    batch,
    seq,
    heads,
    headDim,
    rotaryDim,
    interleaved,
    table,
    dtype: x.dtype,
  });
  return out;
}
