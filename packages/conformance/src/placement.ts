/**
 * Where a case's tensors live in backend memory. `dense` (the default): one tensor each.
 * `strided`: each row-addressed input is a view inside a larger tensor, at an offset, with a
 * gap after every row (filled with NaN: a kernel that reads outside the view poisons its
 * output), and the output is written through `out` into such a view of a tensor whose gaps
 * hold a sentinel that must survive. `packed`: q, k and v are views of one packed projection
 * `[batch, seq, (Hq + 2·Hkv)·d]` as a fused QKV matmul writes it (k and v alone when q has
 * another sequence length), and the output goes into a view as for `strided`.
 */
import { rowLength, type Backend, type Tensor } from '@llama-ops/core';
import type { Comparison } from './check.js';
import type { CaseDType } from './cases/types.js';

/** How the runner lays a case's tensors out in memory. */
export type CasePlacement = 'dense' | 'strided' | 'packed';

/** The value written into the gaps of an output's base tensor; it must be there after the op. */
export const GAP_SENTINEL = 1234; // exact in f16 too

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** One tensor of a packed group: its name, data and shape. */
export interface PackedPart {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Bases made for views, with the gaps to check afterwards. */
export class Placer {
  readonly #be: Backend;
  readonly #dtype: CaseDType;
  readonly #own: (t: Tensor) => void;
  readonly #outputs: Array<{ base: Tensor; view: Tensor; label: string }> = [];

  constructor(be: Backend, dtype: CaseDType, own: (t: Tensor) => void) {
    this.#be = be;
    this.#dtype = dtype;
    this.#own = own;
  }

  /** `data` as a strided view: offset 3 rows-worth plus 5, and a gap of 3 elements after each row (NaN). */
  strided(data: Float32Array, shape: readonly number[]): Tensor {
    const row = rowLength(shape);
    const rows = size(shape) / row;
    const offset = 5;
    const stride = row + 3;
    const base = new Float32Array(offset + rows * stride + 2).fill(Number.NaN);
    for (let r = 0; r < rows; r++) base.set(data.subarray(r * row, (r + 1) * row), offset + r * stride);
    const t = this.#be.tensor(base, [base.length], { dtype: this.#dtype });
    this.#own(t);
    return this.#be.view(t, { shape, offset, rowStride: stride });
  }

  /**
   * Views of one packed tensor: every part has the same leading `[batch, seq]`, and a token of
   * the packed tensor is the parts' tokens side by side (q, then k, then v).
   */
  packed(parts: readonly PackedPart[]): Tensor[] {
    const [batch, seq] = parts[0].shape;
    const rows = batch * seq;
    const lengths = parts.map((p) => rowLength(p.shape));
    const token = lengths.reduce((a, b) => a + b, 0);
    const data = new Float32Array(rows * token);
    let at = 0;
    for (const [i, p] of parts.entries()) {
      for (let r = 0; r < rows; r++) data.set(p.data.subarray(r * lengths[i], (r + 1) * lengths[i]), r * token + at);
      at += lengths[i];
    }
    const base = this.#be.tensor(data, [batch, seq, token], { dtype: this.#dtype });
    this.#own(base);
    at = 0;
    return parts.map((p, i) => {
      const view = this.#be.view(base, { shape: p.shape, offset: at, rowStride: token });
      at += lengths[i];
      return view;
    });
  }

  /** An output view of `shape` inside a base whose gaps hold {@link GAP_SENTINEL}; checked by {@link Placer.checkGaps}. */
  output(shape: readonly number[], label: string): Tensor {
    const row = rowLength(shape);
    const rows = size(shape) / row;
    const offset = 7;
    const stride = row + 2;
    const base = this.#be.tensor(new Float32Array(offset + rows * stride + 3).fill(GAP_SENTINEL), [offset + rows * stride + 3], { dtype: this.#dtype });
    this.#own(base);
    const view = this.#be.view(base, { shape, offset, rowStride: stride });
    this.#outputs.push({ base, view, label });
    return view;
  }

  /** A failed comparison for every output whose base changed outside its view. */
  async checkGaps(): Promise<Comparison[]> {
    const failures: Comparison[] = [];
    for (const { base, view, label } of this.#outputs) {
      const all = await base.read();
      const inside = new Uint8Array(all.length);
      for (let r = 0; r < view.rows; r++) inside.fill(1, view.offset + r * view.rowStride, view.offset + r * view.rowStride + view.rowLength);
      for (let i = 0; i < all.length; i++) {
        if (inside[i] || all[i] === GAP_SENTINEL) continue;
        failures.push({
          pass: false,
          maxError: Infinity,
          bound: 0,
          worstIndex: i,
          failures: 1,
          message: `${label}: the op wrote outside its out view (element ${i} of the base tensor is ${all[i]}, not the untouched ${GAP_SENTINEL}; view offset ${view.offset}, rowStride ${view.rowStride}, rowLength ${view.rowLength})`,
        });
        break;
      }
    }
    return failures;
  }
}
