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
    writeConvertParams({ heap, params }, { src, dst, count });
    e[name](params, 0, Math.ceil(count / 4096), 0);
  };
  return { memory, src, dst, run };
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
});
