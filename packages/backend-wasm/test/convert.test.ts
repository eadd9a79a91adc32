/** The f16 conversions of assembly/convert.ts, bit for bit against core's scalar reference. */
import { float16BitsToFloat32, float32ToFloat16Bits } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { wasmModuleBytes } from '../dist/index.js';
import { writeConvertParams } from '../src/params.js';

async function kernels() {
  const memory = new WebAssembly.Memory({ initial: 32 });
  const module = await WebAssembly.compile(wasmModuleBytes('simd'));
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (p: number, s: number, e: number, t: number) => void>;
  const params = 65536;
  const src = 2 * 65536;
  const dst = 8 * 65536;
  const run = (name: 'widen' | 'narrow', count: number) => {
    const { buffer } = memory;
    const heap = { u32: new Uint32Array(buffer), i32: new Int32Array(buffer), f32: new Float32Array(buffer) };
    writeConvertParams({ heap, params }, { src, dst, count, rows: 1, srcRowStride: count, dstRowStride: count });
    e[name](params, 0, Math.ceil(count / 4096), 0);
  };
  /** `rows` rows of `count` elements, strides in elements on each side (views): units are per row. */
  const runRows = (name: 'widen' | 'narrow', from: number, to: number, count: number, rows: number, srcRowStride: number, dstRowStride: number) => {
    const { buffer } = memory;
    const heap = { u32: new Uint32Array(buffer), i32: new Int32Array(buffer), f32: new Float32Array(buffer) };
    writeConvertParams({ heap, params }, { src: from, dst: to, count, rows, srcRowStride, dstRowStride });
    e[name](params, 0, rows * Math.ceil(count / 4096), 0);
  };
  return { memory, src, dst, run, runRows };
}

describe('f16 conversions', () => {
  it('widen: every one of the 65536 half bit patterns (count 65535: the last one takes the scalar tail)', async () => {
    const { memory, src, dst, run } = await kernels();
    const halves = new Uint16Array(memory.buffer, src, 65536);
    for (let i = 0; i < 65536; i++) halves[i] = i;
    run('widen', 65535);
    const out = new Float32Array(memory.buffer, dst, 65535);
    let bad = 0;
    for (let i = 0; i < 65535; i++) if (!Object.is(out[i], float16BitsToFloat32(i)) && !(Number.isNaN(out[i]) && Number.isNaN(float16BitsToFloat32(i)))) bad++;
    expect(bad).toBe(0);
  });

  it('narrow: rounds to nearest even, with subnormals, overflow to Inf, Inf and NaN', async () => {
    const { memory, src, dst, run } = await kernels();
    const edge = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e9, Infinity, -Infinity, NaN, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 1e-10, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, -0.3];
    const n = 50_001;
    const values = new Float32Array(memory.buffer, src, n);
    const bits = new Uint32Array(memory.buffer, src, n);
    values.set(edge);
    let a = 12345;
    for (let i = edge.length; i < n; i++) {
      a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
      bits[i] = a; // every exponent, both signs
    }
    const expected = Array.from(values, (v) => float32ToFloat16Bits(v));
    run('narrow', n);
    const out = new Uint16Array(memory.buffer, dst, n);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const nan = (x: number) => (x & 0x7c00) === 0x7c00 && (x & 0x3ff) !== 0;
      if (out[i] !== expected[i] && !(nan(out[i]) && nan(expected[i]))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('rows of a view: strided on either side, at odd element offsets, rows longer than a work unit', async () => {
    const { memory, src, dst, runRows } = await kernels();
    // 3 rows of 4100 halves (a unit of 4096 and a tail of 4), 4107 apart, from element 5.
    const [rows, count, stride, offset] = [3, 4100, 4107, 5];
    const halves = new Uint16Array(memory.buffer, src, rows * stride + offset);
    halves.fill(0x7e00); // NaN in the gaps: must not be read
    for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) halves[offset + r * stride + i] = (r * 7919 + i * 31) & 0x7bff;
    const out = new Float32Array(memory.buffer, dst, rows * count + 8);
    out.fill(-1);
    runRows('widen', src + offset * 2, dst, count, rows, stride, count);
    let bad = 0;
    for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) if (out[r * count + i] !== float16BitsToFloat32(halves[offset + r * stride + i])) bad++;
    expect(bad).toBe(0);
    expect(Array.from(out.subarray(rows * count))).toEqual(new Array(8).fill(-1));
    // Back into another strided region: only its rows change.
    const back = new Uint16Array(memory.buffer, src + 2 * (rows * stride + 64), rows * stride + offset);
    back.fill(0xabcd);
    runRows('narrow', dst, src + 2 * (rows * stride + 64 + offset), count, rows, count, stride);
    for (let r = 0; r < rows; r++) {
      for (let i = -offset; i < stride; i++) {
        const at = offset + r * stride + i;
        if (at < 0 || at >= back.length) continue;
        const inRow = i >= 0 && i < count;
        if (inRow ? back[at] !== halves[at] : back[at] !== 0xabcd) bad++;
      }
    }
    expect(bad).toBe(0);
  });
});
