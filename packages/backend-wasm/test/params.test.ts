/**
 * The kernels' parameter blocks (params.schema.mjs): the generated files are current, the
 * compiled modules were built from the same layout as the JS writers, every writer stores
 * each field at its offset with its type, and the GQA scratch layout the block carries is
 * sound. (That each kernel reads what its driver means is what the op tests check.)
 */
import { describe, expect, it } from 'vitest';
import { wasmModuleBytes } from '../dist/index.js';
// The generated files as text (Vite's ?raw works in Node and in the browser).
import generatedAssembly from '../assembly/params.ts?raw';
import generatedTypescript from '../src/params.ts?raw';
import { PARAM_BLOCKS } from '../params.schema.mjs';
import { assemblySource, paramLayout, typescriptSource } from '../scripts/params-codegen.mjs';
import { gqaScratchLayout } from '../src/gqa.js';
import * as params from '../src/params.js';

const layout = paramLayout(PARAM_BLOCKS);
type Schema = Parameters<typeof paramLayout>[0];
type FieldType = Schema[string]['fields'][string][0];

/** A value of each type that a wrong view or offset would not store unchanged. */
function sample(type: FieldType, i: number, flip: boolean): { written: number | boolean; stored: number } {
  switch (type) {
    case 'ptr':
      return { written: 0x8000_0000 + 64 * i, stored: 0x8000_0000 + 64 * i }; // above 2 GiB: unsigned
    case 'u32':
      return { written: 0xffff_fff0 - i, stored: 0xffff_fff0 - i };
    case 'i32':
      return { written: -1000 * (i + 1), stored: -1000 * (i + 1) };
    case 'f32':
      return { written: i + 0.1, stored: Math.fround(i + 0.1) };
    case 'bool': {
      const on = (i % 2 === 0) !== flip;
      return { written: on, stored: on ? 1 : 0 };
    }
  }
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

describe('parameter blocks', () => {
  it('assembly/params.ts and src/params.ts are what params.schema.mjs generates (run the build after editing the schema)', () => {
    expect(generatedAssembly).toBe(assemblySource(layout));
    expect(generatedTypescript).toBe(typescriptSource(layout));
  });

  it.each(['simd', 'threads'] as const)('the %s module was built from the layout the JS writers use', async (variant) => {
    const memory =
      variant === 'threads' ? new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true }) : new WebAssembly.Memory({ initial: 16 });
    const module = await WebAssembly.compile(wasmModuleBytes(variant));
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, WebAssembly.Global>;
    expect((exports.PARAMS_LAYOUT_HASH.value as number) >>> 0).toBe(params.PARAMS_LAYOUT_HASH);
    expect(exports.PARAMS_BYTES.value).toBe(params.PARAMS_BYTES);
    expect(params.PARAMS_LAYOUT_HASH).toBe(layout.hash);
  });

  it('the block is the size of the largest block, with no fixed cap; kernels are indexed in schema order', () => {
    expect(params.PARAMS_BYTES).toBe(Math.max(...layout.blocks.map((b) => 4 * b.fields.length)));
    expect(params.PARAMS_BYTES).toBeGreaterThan(128); // gqa alone has 39 fields
    expect([...params.KERNEL_NAMES]).toEqual(layout.blocks.flatMap((b) => b.kernels));
  });

  it.each(layout.blocks.map((b) => [b.name, b] as const))('the %s block: its writer stores every field at its offset with its type, and nothing else', (name, block) => {
    const write = (params as unknown as Record<string, (rt: params.ParamTarget, values: Record<string, number | boolean>) => void>)[
      `write${pascal(name)}Params`
    ];
    expect(write).toBeTypeOf('function');
    const buffer = new ArrayBuffer(4096);
    const heap = { u32: new Uint32Array(buffer), i32: new Int32Array(buffer), f32: new Float32Array(buffer) };
    const at = 1024;
    for (const flip of [false, true]) {
      heap.u32.fill(0xdeadbeef);
      write({ heap, params: at }, Object.fromEntries(block.fields.map((f, i) => [f.name, sample(f.type, i, flip).written])));
      block.fields.forEach((f, i) => {
        const word = (at + f.offset) / 4;
        const view = f.type === 'f32' ? heap.f32 : f.type === 'ptr' || f.type === 'u32' ? heap.u32 : heap.i32;
        expect([f.name, view[word]]).toEqual([f.name, sample(f.type, i, flip).stored]);
      });
      const untouched = heap.u32.filter((x, w) => (w < at / 4 || w >= (at + block.bytes) / 4) && x === 0xdeadbeef).length;
      expect(untouched).toBe(heap.u32.length - block.bytes / 4);
    }
  });

  it('adding a field is one schema line: it gets the next offset, a typed read and a writer line, and grows the block', () => {
    const gqa = PARAM_BLOCKS.gqa;
    const wider: Schema = { ...PARAM_BLOCKS, gqa: { ...gqa, fields: { ...gqa.fields, maskRowStride: ['i32', 'elements between mask rows'] } } };
    const next = paramLayout(wider);
    expect(next.bytes).toBe(layout.bytes + 4);
    expect(next.hash).not.toBe(layout.hash);
    const offset = layout.blocks.find((b) => b.name === 'gqa')!.bytes;
    expect(assemblySource(next)).toContain(`@inline export function maskRowStride(params: usize): i32 {\n    return load<i32>(params, ${offset});`);
    expect(typescriptSource(next)).toContain(`  readonly maskRowStride: number;`);
    expect(typescriptSource(next)).toContain(`  i32[w + ${offset / 4}] = p.maskRowStride;`);
  });

  it('a schema the generator cannot honour is refused with the reason', () => {
    const block = (fields: Record<string, [string, string]>, kernels = ['k']) => ({ kernels, fields }) as unknown as Schema[string];
    expect(() => paramLayout({ a: block({ x: ['u64', 'doc'] }) })).toThrow(/field 'a.x' has unknown type 'u64'/);
    expect(() => paramLayout({ a: block({ x: ['u32', 'doc'] }), b: block({ y: ['u32', 'doc'] }) })).toThrow(/kernel 'k' is listed in two blocks/);
    expect(() => paramLayout({ a: block({}) })).toThrow(/block 'a' has no fields/);
    expect(() => paramLayout({ a: block({ 'x-y': ['u32', 'doc'] }) })).toThrow(/'a.x-y' is not a lowerCamelCase identifier/);
    expect(() => paramLayout({ a: block({ x: ['u32', ''] }) })).toThrow(/field 'a.x' has no doc/);
  });
});

describe('GQA scratch layout (src/gqa.ts, read by assembly/gqa.ts through the block)', () => {
  // [mpMax, headDim, headDimV, tileK, slots]: prefill tiles, decode tiles, odd head sizes, block-major slots.
  it.each([
    [32, 64, 64, 128, 1],
    [32, 128, 128, 128, 1],
    [8, 128, 128, 32, 4],
    [4, 66, 30, 128, 1],
    [4, 3, 5, 48, 3],
  ])('mpMax %i, d %i, dv %i, tileK %i, %i slot(s): regions in order, disjoint, 16-byte aligned, sized as the kernel uses them', (mpMax, d, dv, tileK, slots) => {
    const s = gqaScratchLayout(mpMax, d, dv, tileK, slots);
    const row = 4 * mpMax;
    // [start, bytes] of each region, from the thread's start: S [tileK][mpMax], alpha, then
    // per slot Q [d padded to 4][mpMax], O [mpMax][dv], m, l, positions.
    const regions: Array<[number, number]> = [
      [0, tileK * row],
      [s.alpha, row],
    ];
    for (let i = 0; i < slots; i++) {
      const slot = s.slots + i * s.slotBytes;
      regions.push([slot, Math.ceil(d / 4) * 4 * row], [slot + s.o, dv * row], [slot + s.m, row], [slot + s.l, row], [slot + s.pos, row]);
    }
    for (let i = 1; i < regions.length; i++) expect(regions[i][0]).toBe(regions[i - 1][0] + regions[i - 1][1]);
    for (const [start] of regions) expect(start % 16).toBe(0);
    const end = regions[regions.length - 1][0] + regions[regions.length - 1][1];
    expect(s.stride % 64).toBe(0);
    expect(s.stride - end).toBeGreaterThanOrEqual(0);
    expect(s.stride - end).toBeLessThan(64);
  });
});
