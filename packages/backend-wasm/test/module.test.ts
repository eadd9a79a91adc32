import { describe, expect, it } from 'vitest';
import { wasmModuleBytes } from '../dist/index.js';
import { KERNEL_NAMES } from '../src/params.js';

describe('wasm modules', () => {
  it.each(['simd', 'threads'] as const)('the %s module imports exactly env.memory', async (variant) => {
    const module = await WebAssembly.compile(wasmModuleBytes(variant));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const exported = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exported).toEqual(expect.arrayContaining([...KERNEL_NAMES, 'heapBase']));
  });

  it('the threads module wants a shared memory, the simd one a plain memory', async () => {
    const plain = new WebAssembly.Memory({ initial: 16 });
    const shared = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    const simd = await WebAssembly.compile(wasmModuleBytes('simd'));
    const threads = await WebAssembly.compile(wasmModuleBytes('threads'));
    expect(() => new WebAssembly.Instance(simd, { env: { memory: plain } })).not.toThrow();
    expect(() => new WebAssembly.Instance(threads, { env: { memory: shared } })).not.toThrow();
    expect(() => new WebAssembly.Instance(threads, { env: { memory: plain } })).toThrow();
  });
});
