/**
 * Grow-only scratch buffers shared by the kernels. JS runs one kernel at a time on a
 * thread, so one buffer per purpose is enough; it is reused across calls so hot loops
 * never allocate.
 */
type Typed = Float64Array | Float32Array | Int32Array;

function scratchOf<T extends Typed>(make: (size: number) => T): (name: string, size: number) => T {
  const buffers = new Map<string, T>();
  return (name, size) => {
    let a = buffers.get(name);
    if (a === undefined || a.length < size) {
      a = make(Math.max(size, 16));
      buffers.set(name, a);
    }
    return a;
  };
}

/** A Float64Array of at least `size` elements, reused across calls (contents undefined). */
export const scratchF64 = scratchOf((n) => new Float64Array(n));
/** A Float32Array of at least `size` elements, reused across calls (contents undefined). */
export const scratchF32 = scratchOf((n) => new Float32Array(n));
/** An Int32Array of at least `size` elements, reused across calls (contents undefined). */
export const scratchI32 = scratchOf((n) => new Int32Array(n));
