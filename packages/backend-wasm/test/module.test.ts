import { describe, expect, it } from 'vitest';
import { wasmModuleBytes } from '../dist/index.js';
// The AssemblyScript side of the parameter blocks, as text (Vite's ?raw works in Node and the browser).
import assemblyParams from '../assembly/params.ts?raw';
import * as jsParams from '../src/params.js';

describe('wasm modules', () => {
  it.each(['simd', 'threads'] as const)('the %s module imports exactly env.memory', async (variant) => {
    const module = await WebAssembly.compile(wasmModuleBytes(variant));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const exported = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exported).toEqual(expect.arrayContaining([...jsParams.KERNEL_NAMES, 'heapBase']));
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

  it('JS and AssemblyScript agree on every parameter offset', () => {
    const declared = [...assemblyParams.matchAll(/export const (P_\w+|PARAMS_BYTES): usize = (\d+);/g)];
    expect(declared.length).toBeGreaterThan(40);
    const js = jsParams as unknown as Record<string, unknown>;
    for (const [, name, value] of declared) expect([name, js[name]]).toEqual([name, Number(value)]);
    const jsNames = Object.keys(js).filter((n) => n.startsWith('P_') || n === 'PARAMS_BYTES');
    expect(jsNames.sort()).toEqual(declared.map((d) => d[1]).sort());
  });
});
