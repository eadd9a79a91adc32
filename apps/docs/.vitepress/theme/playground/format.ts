/** Number and time formats of the playground. */

/** Three significant digits, exponent notation when very large or small. */
export const fmt = (v: number, digits = 3) => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
};
/** A duration in ms, as µs below 1 ms. */
export const ms = (v: number) => (v < 0.01 ? `${(v * 1000).toFixed(2)} µs` : v < 1 ? `${(v * 1000).toPrecision(3)} µs` : v < 100 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);
