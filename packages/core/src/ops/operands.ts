/**
 * How an op's tensors reach its kernel: each operand as storage plus an {@link OperandLayout}.
 * A backend that declares `capabilities.views` gets views as they are (offset and row
 * stride); any other backend gets dense copies, made and written back with the `copy`
 * kernel. Operands a kernel cannot take strided (an RMSNorm weight, a mask) are copied on
 * every backend. Outputs the op creates are disposed if the kernel fails, so a failed op
 * strands no memory, and a lack of memory is reported as a {@link CapacityError} of the op.
 */
import type { Backend } from '../backend.js';
import { ValueError } from '../errors.js';
import type { DType, OperandLayout } from '../kernels.js';
import type { Tensor } from '../tensor.js';
import { checkShapeEquals, checkTensor, formatShape } from '../validation.js';

/** A tensor as a kernel sees it. */
export interface Operand {
  readonly storage: unknown;
  readonly layout: OperandLayout;
}

/** Row unit of an operand: the op's row length, or `contiguous` for operands read as one block. */
export type RowUnit = number | { readonly contiguous: number };

/** Collects an op's operands; `run` calls the kernel, writes outputs back and frees copies. */
export class KernelCall {
  readonly #op: string;
  readonly #backend: Backend;
  /** Dense copies and staging outputs to free after the call. */
  readonly #temporaries: Tensor[] = [];
  /** Outputs the op created for the user: freed only if the call fails. */
  readonly #created: Tensor[] = [];
  /** Staged outputs to copy into the user's `out` views after the kernel. */
  readonly #writeBacks: Array<readonly [Tensor, Tensor]> = [];

  constructor(op: string, backend: Backend) {
    this.#op = op;
    this.#backend = backend;
  }

  /** An input as the kernel will read it (a dense copy when the kernel cannot take its layout). */
  input(t: Tensor, unit: RowUnit): Operand {
    const layout = this.#layout(t, unit);
    if (layout) return { storage: t.storage, layout };
    const copy = this.#guard(() => this.#backend.denseCopy(this.#op, t));
    this.#temporaries.push(copy);
    return { storage: copy.storage, layout: dense(unit) };
  }

  /** An output into the user's `out` tensor (staged densely when the kernel cannot take its layout). */
  output(out: Tensor, unit: RowUnit): Operand {
    const layout = this.#layout(out, unit);
    if (layout) return { storage: out.storage, layout };
    const staged = this.#guard(() => this.#backend.allocate(this.#op, out.shape, out.dtype));
    this.#temporaries.push(staged);
    this.#writeBacks.push([staged, out]);
    return { storage: staged.storage, layout: dense(unit) };
  }

  /** An operand the kernel reads and overwrites (in place): staged as a dense copy, and written back, when need be. */
  inOut(t: Tensor, unit: RowUnit): Operand {
    const layout = this.#layout(t, unit);
    if (layout) return { storage: t.storage, layout };
    const copy = this.#guard(() => this.#backend.denseCopy(this.#op, t));
    this.#temporaries.push(copy);
    this.#writeBacks.push([copy, t]);
    return { storage: copy.storage, layout: dense(unit) };
  }

  /** A new output tensor the op returns. */
  create(shape: readonly number[], dtype: DType): Tensor {
    const t = this.#guard(() => this.#backend.allocate(this.#op, shape, dtype));
    this.#created.push(t);
    return t;
  }

  /** Run the kernel; on failure free what this call allocated and rethrow. */
  run(kernel: () => void): void {
    try {
      kernel();
      for (const [staged, out] of this.#writeBacks) this.#backend.copyRows(staged, out);
    } catch (e) {
      for (const t of this.#created) t.dispose();
      throw this.#backend.capacityError(this.#op, e);
    } finally {
      for (const t of this.#temporaries) t.dispose();
    }
  }

  #guard<T>(allocate: () => T): T {
    try {
      return allocate();
    } catch (e) {
      for (const t of [...this.#created, ...this.#temporaries]) t.dispose();
      throw this.#backend.capacityError(this.#op, e);
    }
  }

  #layout(t: Tensor, unit: RowUnit): OperandLayout | null {
    const views = this.#backend.capabilities.views === true;
    if (typeof unit === 'number') {
      if (t.contiguous) return views || t.offset === 0 ? { offset: t.offset, rowStride: unit } : null;
      return views && t.rowLength === unit ? { offset: t.offset, rowStride: t.rowStride } : null;
    }
    if (!t.contiguous) return null;
    return views || t.offset === 0 ? { offset: t.offset, rowStride: unit.contiguous } : null;
  }
}

function dense(unit: RowUnit): OperandLayout {
  return { offset: 0, rowStride: typeof unit === 'number' ? unit : unit.contiguous };
}

/** The dense layout of an absent operand. */
export function absent(rowStride: number): OperandLayout {
  return { offset: 0, rowStride };
}

/**
 * Check an `out` option: a live tensor of the op's backend, shape and dtype that shares no
 * element with any input. Returns it, or undefined when not given.
 */
export function checkOut(
  op: string,
  argument: string,
  out: unknown,
  backend: Backend,
  shape: readonly number[],
  dtype: DType,
  inputs: ReadonlyArray<readonly [string, Tensor | undefined]>,
): Tensor | undefined {
  if (out === undefined) return undefined;
  checkTensor(op, argument, out);
  if (out.backend !== backend) {
    throw new ValueError({ op, argument, expected: `a tensor of the inputs' ${backend.name} backend`, actual: `a tensor of the ${out.backend.name} backend` });
  }
  checkShapeEquals(op, argument, out, shape);
  if (out.dtype !== dtype) {
    throw new ValueError({ op, argument, expected: `dtype ${dtype} (the inputs' dtype)`, actual: out.dtype });
  }
  for (const [name, t] of inputs) {
    if (t !== undefined && overlaps(out, t)) {
      throw new ValueError({
        op,
        argument,
        expected: `memory that does not overlap ${name} ${formatShape(t.shape)}`,
        actual: 'a tensor sharing elements with it',
        hint: op === 'rope' ? 'for in-place RoPE pass out: x (the same tensor) or inPlace: true' : `${op} cannot write over its inputs: use another tensor`,
      });
    }
  }
  return out;
}

/** True when `a` and `b` are the same elements of the same storage (same offset, rows and stride). */
export function sameMemory(a: Tensor, b: Tensor): boolean {
  return a.storage === b.storage && a.offset === b.offset && a.rowStride === b.rowStride && a.rowLength === b.rowLength && a.size === b.size;
}

/**
 * Whether `a` and `b` share any element. Exact for equal row strides (e.g. q, k and v views
 * of one packed tensor do not overlap), conservative otherwise.
 */
export function overlaps(a: Tensor, b: Tensor): boolean {
  if (a.storage !== b.storage) return false;
  const aEnd = a.offset + (a.rows - 1) * a.rowStride + a.rowLength;
  const bEnd = b.offset + (b.rows - 1) * b.rowStride + b.rowLength;
  if (aEnd <= b.offset || bEnd <= a.offset) return false;
  const stride = a.rowStride;
  if ((a.rows === 1 && b.rows === 1) || stride !== b.rowStride || a.rowLength > stride || b.rowLength > stride) return true;
  // Same stride: rows are runs [o + r * stride, + len); compare the runs' positions modulo the stride.
  const ai = a.offset % stride;
  const bi = b.offset % stride;
  const hit = (x: number, xl: number, y: number, yl: number) => x < y + yl && y < x + xl;
  return hit(ai, a.rowLength, bi, b.rowLength) || hit(ai + stride, a.rowLength, bi, b.rowLength) || hit(ai, a.rowLength, bi + stride, b.rowLength);
}
