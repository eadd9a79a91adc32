import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../src/memory.js';

describe('WasmHeap (the tensor allocator)', () => {
  const heap = () => new WasmHeap(new WebAssembly.Memory({ initial: 1 }), 1000);

  it('returns 64-byte aligned blocks above the static data, that do not overlap', () => {
    const h = heap();
    const blocks = [1, 17, 64, 65, 1000].map((n) => [h.alloc(n), n] as const);
    for (const [p] of blocks) {
      expect(p % 64).toBe(0);
      expect(p).toBeGreaterThanOrEqual(1000);
    }
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
  });

  it('reuses freed blocks and merges neighbours', () => {
    const h = heap();
    const a = h.alloc(256);
    const b = h.alloc(256);
    const c = h.alloc(256);
    h.alloc(64); // keeps c's end below the top
    h.free(a);
    h.free(b);
    expect(h.alloc(512)).toBe(a); // a and b merged
    h.free(c);
    expect(h.alloc(200)).toBe(c);
  });

  it('grows memory when nothing fits, and its views follow the growth', () => {
    const h = heap();
    const before = h.bytesReserved;
    const p = h.alloc(3 * 65536);
    expect(h.bytesReserved).toBeGreaterThan(before);
    expect(h.f32.buffer).toBe(h.memory.buffer);
    h.f32[(p >> 2) + 3 * 16384 - 1] = 7;
    expect(new Float32Array(h.memory.buffer)[(p >> 2) + 3 * 16384 - 1]).toBe(7);
  });

  it('frees back to the top, so memory in use returns to zero', () => {
    const h = heap();
    const ps = Array.from({ length: 10 }, (_, i) => h.alloc(100 * (i + 1)));
    for (const p of ps.reverse()) h.free(p);
    expect(h.bytesInUse).toBe(0);
    expect(() => h.free(ps[0])).toThrow(/unknown pointer/);
  });

  it('throws a CapacityError when memory cannot grow', () => {
    const h = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 1000);
    expect(() => h.alloc(4 * 65536)).toThrow(expect.objectContaining({ code: 'E_CAPACITY' }));
  });
});
