import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, NpyError, readNpy, writeNpy } from '../src/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'llama-ops-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Build a .npy file by hand: magic, version, header length, header, data. */
function handMade(header: string, data: Uint8Array, major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lenBytes + i] = header.charCodeAt(i);
  out.set(data, 8 + lenBytes + header.length);
  return out;
}

describe('npy writer', () => {
  it('writes the same v1.0 header NumPy writes for np.save(arange(6, dtype="<f4").reshape(2, 3))', () => {
    const bytes = encodeNpy(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3]);
    // NumPy 1.x/2.x: header padded with spaces so the data starts at byte 128, ending in '\n'.
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(Array.from(bytes.subarray(0, 10))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    const text = new TextDecoder('latin1').decode(bytes.subarray(10, 128));
    expect(text).toBe(`${header}${' '.repeat(118 - header.length - 1)}\n`);
    expect(bytes.length).toBe(128 + 6 * 4);
    expect(new DataView(bytes.buffer).getFloat32(128 + 5 * 4, true)).toBe(5);
  });

  it("writes a 1-D shape with NumPy's trailing comma, (5,)", () => {
    const bytes = encodeNpy(new Float32Array(5), [5]);
    expect(new TextDecoder('latin1').decode(bytes.subarray(10, 70))).toContain("'shape': (5,), }");
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
  });

  it('refuses data whose length does not match the shape', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(NpyError);
  });
});

describe('npy reader', () => {
  it('round-trips float32 values exactly, including -0, subnormals, Inf and NaN', () => {
    const values = Float32Array.from([1.5, -0, 1e-45, -3.4028234663852886e38, Infinity, -Infinity, NaN, Math.fround(Math.PI)]);
    const a = decodeNpy(encodeNpy(values, [2, 2, 2]));
    expect(a.shape).toEqual([2, 2, 2]);
    expect(a.descr).toBe('<f4');
    expect(Array.from(Float32Array.from(a.data))).toEqual(Array.from(values));
    expect(Object.is(a.data[1], -0)).toBe(true);
  });

  it('round-trips int32 arrays (positions files) as <i4', () => {
    const a = decodeNpy(encodeNpy(Int32Array.from([0, 7, -3, 2147483647]), [4]));
    expect(a.descr).toBe('<i4');
    expect(Array.from(a.data)).toEqual([0, 7, -3, 2147483647]);
  });

  it('round-trips through a file', () => {
    const path = join(dir, 'x.npy');
    writeNpy(path, Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    const a = readNpy(path);
    expect(a.shape).toEqual([3, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readFileSync(path).length).toBe(128 + 24);
  });

  it('reads big-endian float64 and scalar (shape ()) arrays', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setFloat64(0, 0.1, false);
    new DataView(data.buffer).setFloat64(8, -2.5, false);
    const a = decodeNpy(handMade("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }\n", data));
    expect(Array.from(a.data)).toEqual([0.1, -2.5]);

    const s = new Uint8Array(4);
    new DataView(s.buffer).setFloat32(0, 3.5, true);
    const scalar = decodeNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", s));
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([3.5]);
  });

  it('reads format version 2.0 (4-byte header length) and float16', () => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint16(0, 0x3c00, true); // 1.0
    new DataView(data.buffer).setUint16(2, 0xc100, true); // -2.5
    const a = decodeNpy(handMade("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }\n", data, 2));
    expect(a.shape).toEqual([1, 2]);
    expect(Array.from(a.data)).toEqual([1, -2.5]);
  });

  it('rejects Fortran order, unknown dtypes, bad magic and truncated data with a clear message', () => {
    const four = new Uint8Array(24);
    expect(() => decodeNpy(handMade("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", four))).toThrow(/Fortran-order/);
    expect(() => decodeNpy(handMade("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }\n", four))).toThrow(/unsupported .npy dtype '<c8'/);
    expect(() => decodeNpy(new TextEncoder().encode('not a numpy file at all'))).toThrow(/magic/);
    expect(() => decodeNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }\n", four))).toThrow(/truncated/);
  });
});
