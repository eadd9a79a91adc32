/**
 * The uniform layout helper on its own (no GPU): member offsets by WGSL's layout rules,
 * the struct text, the packed bytes, and the refusals. That the WGSL compiler agrees with
 * these offsets is proven on real drivers by test/uniforms.suite.ts.
 */
import { describe, expect, it } from 'vitest';
import { defineUniforms, UNIFORM_BUFFER_BYTES, type UniformValuesOf } from '../src/uniforms.js';
import { MIXED } from './mixed-uniforms.js';

const MIXED_VALUES: UniformValuesOf<typeof MIXED> = {
  count: 7,
  origin: [1.5, -2.25],
  delta: -3,
  color: [0.5, 0.25, 4],
  weight: 1e-3,
  box: [1, 0xffffffff, 0, 42],
  offset: [-1, 2, -2147483648],
  last: 9,
};

describe('defineUniforms', () => {
  it('places members by WGSL alignment rules (scalars 4, vec2 8, vec3 and vec4 16)', () => {
    expect(MIXED.members.map((m) => [m.name, m.offset, m.size, m.align])).toEqual([
      ['count', 0, 4, 4],
      ['origin', 8, 8, 8],
      ['delta', 16, 4, 4],
      ['color', 32, 12, 16],
      ['weight', 44, 4, 4],
      ['box', 48, 16, 16],
      ['offset', 64, 12, 16],
      ['last', 76, 4, 4],
    ]);
    // Rounded up to the struct's alignment (16, from its vec3/vec4 members).
    expect(MIXED.structBytes).toBe(80);
    expect(MIXED.bufferBytes).toBe(80);
  });

  it('sizes a scalar-only struct by 4-byte alignment, and its buffer to a multiple of 16', () => {
    const five = defineUniforms('Params', { a0: 'u32', a1: 'u32', a2: 'f32', a3: 'f32', a4: 'f32' });
    expect(five.members.map((m) => m.offset)).toEqual([0, 4, 8, 12, 16]);
    expect(five.structBytes).toBe(20);
    expect(five.bufferBytes).toBe(32);
    const one = defineUniforms('Params', { only: 'f32' });
    expect(one.structBytes).toBe(4);
    expect(one.bufferBytes).toBe(16);
    // A struct holding a vec2 is 8-aligned: 12 bytes of members round up to 16.
    expect(defineUniforms('Params', { v: 'vec2<u32>', s: 'u32' }).structBytes).toBe(16);
  });

  it('emits the WGSL struct with the members in declaration order', () => {
    expect(MIXED.wgsl).toBe(
      [
        'struct Mixed {',
        '  count: u32,',
        '  origin: vec2<f32>,',
        '  delta: i32,',
        '  color: vec3<f32>,',
        '  weight: f32,',
        '  box: vec4<u32>,',
        '  offset: vec3<i32>,',
        '  last: u32,',
        '};',
      ].join('\n'),
    );
  });

  it('packs each value at its member offset, little-endian, with zero padding', () => {
    const data = MIXED.pack(MIXED_VALUES);
    expect(data.byteLength).toBe(80);
    const v = new DataView(data);
    expect(v.getUint32(0, true)).toBe(7);
    expect(v.getUint32(4, true)).toBe(0); // padding before the vec2
    expect([v.getFloat32(8, true), v.getFloat32(12, true)]).toEqual([1.5, -2.25]);
    expect(v.getInt32(16, true)).toBe(-3);
    for (const pad of [20, 24, 28]) expect(v.getUint32(pad, true)).toBe(0);
    expect([v.getFloat32(32, true), v.getFloat32(36, true), v.getFloat32(40, true)]).toEqual([0.5, 0.25, 4]);
    expect(v.getFloat32(44, true)).toBe(Math.fround(1e-3));
    expect([0, 1, 2, 3].map((c) => v.getUint32(48 + 4 * c, true))).toEqual([1, 0xffffffff, 0, 42]);
    expect([0, 1, 2].map((c) => v.getInt32(64 + 4 * c, true))).toEqual([-1, 2, -2147483648]);
    expect(v.getUint32(76, true)).toBe(9);
  });

  it('refuses values that would silently become wrong uniforms', () => {
    const p = defineUniforms('Params', { rows: 'u32', window: 'i32', pair: 'vec2<u32>' });
    const ok = { rows: 1, window: -1, pair: [0, 1] as const };
    expect(() => p.pack(ok)).not.toThrow();
    expect(() => p.pack({ ...ok, rows: -1 })).toThrow(/Params\.rows = -1 does not fit a u32/);
    expect(() => p.pack({ ...ok, rows: 2 ** 32 })).toThrow(/does not fit a u32/);
    expect(() => p.pack({ ...ok, rows: 1.5 })).toThrow(/does not fit a u32/);
    expect(() => p.pack({ ...ok, window: 2 ** 31 })).toThrow(/Params\.window = 2147483648 does not fit a i32/);
    expect(() => p.pack({ ...ok, pair: [1, 2, 3] as unknown as [number, number] })).toThrow(/Params\.pair \(vec2<u32>\) needs 2 numbers/);
    const { rows: _, ...missing } = ok;
    expect(() => p.pack(missing as typeof ok)).toThrow(/Params\.rows \(u32\) needs a number, got undefined/);
  });

  it('refuses layouts WGSL or the uniform buffer cannot take', () => {
    expect(() => defineUniforms('Params', {})).toThrow(/no members/);
    expect(() => defineUniforms('Params', { 'not-a-name': 'u32' })).toThrow(/not a WGSL identifier/);
    expect(() => defineUniforms('1st', { a: 'u32' })).toThrow(/not a WGSL identifier/);
    const tooMany = Object.fromEntries(Array.from({ length: UNIFORM_BUFFER_BYTES / 16 + 1 }, (_, i) => [`v${i}`, 'vec4<f32>' as const]));
    expect(() => defineUniforms('Params', tooMany)).toThrow(/272 bytes, more than the 256-byte uniform buffer/);
  });
});
