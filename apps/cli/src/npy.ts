/**
 * A small reader/writer of NumPy's `.npy` format
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * Writing: float32 (`<f4`) or int32 (`<i4`), little-endian, C order, format version 1.0,
 * header padded so the data starts at a multiple of 64 bytes (what NumPy itself writes).
 * Reading: versions 1.0, 2.0 and 3.0, C order, any endianness, and the numeric dtypes
 * f2/f4/f8/i1/i2/i4/i8/u1/u2/u4/u8 (widened or narrowed on request by the caller).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** An array read from a `.npy` file. */
export interface NpyArray {
  /** Dimensions, outermost first (`[]` for a scalar). */
  shape: number[];
  /** The file's dtype descriptor, e.g. `<f4`. */
  descr: string;
  /** The values in C order, as float64 numbers (exact for every supported dtype but i8/u8 beyond 2^53). */
  data: Float64Array;
}

/** Thrown for a file that is not a `.npy` this reader understands. */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

/** Serialise a float32 (default) or int32 array of `shape` as `.npy` v1.0 bytes. */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new NpyError(`shape [${shape.join(', ')}] holds ${size} values but the data has ${data.length}`);
  }
  const descr = data instanceof Int32Array ? '<i4' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + header_len(2) + header + '\n' must be a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  if (header.length > 0xffff) throw new NpyError('header too long for format version 1.0');
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  if (data instanceof Int32Array) {
    for (let i = 0; i < data.length; i++) body.setInt32(i * 4, data[i], true);
  } else {
    for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], true);
  }
  return out;
}

/** Write `data` of `shape` to `path` as a `.npy` file (float32 or int32, v1.0). */
export function writeNpy(path: string, data: Float32Array | Int32Array, shape: readonly number[]): void {
  writeFileSync(path, encodeNpy(data, shape));
}

interface DTypeInfo {
  bytes: number;
  get(view: DataView, offset: number, little: boolean): number;
}

const DTYPES: Record<string, DTypeInfo> = {
  f2: { bytes: 2, get: (v, o, le) => halfToFloat(v.getUint16(o, le)) },
  f4: { bytes: 4, get: (v, o, le) => v.getFloat32(o, le) },
  f8: { bytes: 8, get: (v, o, le) => v.getFloat64(o, le) },
  i1: { bytes: 1, get: (v, o) => v.getInt8(o) },
  u1: { bytes: 1, get: (v, o) => v.getUint8(o) },
  b1: { bytes: 1, get: (v, o) => v.getUint8(o) },
  i2: { bytes: 2, get: (v, o, le) => v.getInt16(o, le) },
  u2: { bytes: 2, get: (v, o, le) => v.getUint16(o, le) },
  i4: { bytes: 4, get: (v, o, le) => v.getInt32(o, le) },
  u4: { bytes: 4, get: (v, o, le) => v.getUint32(o, le) },
  i8: { bytes: 8, get: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { bytes: 8, get: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Parse `.npy` bytes. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError('not a .npy file (missing the \\x93NUMPY magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLen > bytes.length) throw new NpyError('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));

  const descrMatch = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortranMatch = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrMatch || !fortranMatch || !shapeMatch) throw new NpyError(`malformed .npy header: ${header.trim()}`);
  const descr = descrMatch[1];
  if (fortranMatch[1] === 'True') {
    throw new NpyError('Fortran-order arrays are not supported (save with np.ascontiguousarray(a))');
  }
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new NpyError(`bad dimension '${s}' in .npy shape`);
      return n;
    });

  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const info = m ? DTYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !info) throw new NpyError(`unsupported .npy dtype '${descr}' (expected a numeric dtype such as <f4)`);
  // '=' is native order; every platform Node runs on here is little-endian.
  const little = m[1] !== '>';
  const size = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart < size * info.bytes) {
    throw new NpyError(`truncated .npy data: shape [${shape.join(', ')}] needs ${size * info.bytes} bytes, file has ${bytes.length - dataStart}`);
  }
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = info.get(view, dataStart + i * info.bytes, little);
  return { shape, descr, data };
}

/** Read a `.npy` file. */
export function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  try {
    return decodeNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    if (err instanceof NpyError) throw new NpyError(`${path}: ${err.message}`);
    throw err;
  }
}
