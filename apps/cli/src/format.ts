/** Text output: numbers, tables, a progress bar and array summaries. */
import { visibleWidth, type Paint } from './ansi.js';

/** `1.23e-7`-style for errors, plain for ordinary magnitudes. */
export function fmtNum(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return Number(x.toPrecision(digits + 1)).toString();
  return x.toExponential(digits - 1);
}

/** A parameter value as a person writes it: `1e-5`, `500000`, `0.125`. */
export function fmtParam(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a < 1e-3) return x.toExponential();
  return String(Number(x.toPrecision(10)));
}

/** An error magnitude, always in exponent form (`3.1e-7`) so columns line up. */
export function fmtErr(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(1);
}

/** Milliseconds with sensible precision. */
export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${Number((ms * 1000).toPrecision(3))} µs`;
}

/** `[1, 16, 32, 128]` */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'left' ? s + fill : fill + s;
}

/** A plain-text table; cells may contain ANSI colour. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { align?: readonly ('left' | 'right')[]; paint?: Paint; indent?: string } = {},
): string {
  const widths = header.map((h, c) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[c] ?? ''))));
  const align = (c: number) => options.align?.[c] ?? 'left';
  const indent = options.indent ?? '';
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, c) => pad(cell ?? '', widths[c], align(c)))
      .join('  ')
      .trimEnd();
  const head = options.paint ? options.paint.bold(line(header).slice(indent.length)) : line(header).slice(indent.length);
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [indent + head, indent + (options.paint ? options.paint.dim(rule) : rule), ...rows.map(line)].join('\n');
}

/**
 * A one-line progress bar on a TTY stream (stderr by default, so stdout stays clean);
 * it draws nothing when the stream is not a TTY.
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #total: number;
  #done = 0;
  #lastDraw = 0;

  constructor(total: number, options: { stream?: NodeJS.WriteStream; enabled?: boolean } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = (options.enabled ?? true) && this.#stream.isTTY === true;
    this.#total = Math.max(1, total);
  }

  /** Advance by one (or set `done`) and redraw with `label`, at most ~30 times a second. */
  tick(label: string, done = this.#done + 1): void {
    this.#done = done;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 33 && done < this.#total) return;
    this.#lastDraw = now;
    const cols = Math.max(40, Math.min(this.#stream.columns ?? 80, 120));
    const width = 24;
    const filled = Math.round((width * Math.min(done, this.#total)) / this.#total);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const count = `${done}/${this.#total}`;
    const room = cols - width - count.length - 6;
    const text = label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label;
    this.#stream.write(`\r\x1b[2K${bar} ${count} ${text}`);
  }

  /** Erase the bar. */
  clear(): void {
    if (this.#enabled) this.#stream.write('\r\x1b[2K');
  }
}

/** Summary statistics of an output array. */
export interface ArraySummary {
  shape: number[];
  min: number;
  max: number;
  mean: number;
  /** Root mean square. */
  rms: number;
  /** Sum of the values (float64). */
  sum: number;
  /** FNV-1a 32-bit hash of the float32 bytes, hex: equal outputs give equal checksums. */
  checksum: string;
  /** Count of NaN/Inf values (0 for a healthy output). */
  nonFinite: number;
}

/** Min/max/mean/rms, sum and a byte checksum of `data`. */
export function summarise(data: Float32Array, shape: readonly number[]): ArraySummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const n = data.length - nonFinite;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return {
    shape: [...shape],
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean: n ? sum / n : NaN,
    rms: n ? Math.sqrt(sq / n) : NaN,
    sum,
    checksum: (h >>> 0).toString(16).padStart(8, '0'),
    nonFinite,
  };
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
