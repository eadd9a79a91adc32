/**
 * What differs between the Node lines the packages support (20, 22, 24) and touches this
 * backend; `pnpm test` runs this file on each of them (scripts/test-node-lines.mjs).
 *  - Relaxed SIMD is on by default from V8 12 (Node 22) and off in Node 20 (V8 11.3): the
 *    kernels must not use it, or Node 20 could not compile them.
 *  - Node 21+ has a global `navigator` (with `hardwareConcurrency`): the default thread
 *    count reads it there, and `os.availableParallelism()` on Node 20; both must agree.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBackend, wasmModuleBytes } from '../dist/index.js';

const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const nodeMajor = inNode ? Number(process.versions.node.split('.')[0]) : 0;
const v8Major = inNode ? Number(process.versions.v8.split('.')[0]) : 0;

/** `(func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))` */
const RELAXED_MADD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code: f32x4.relaxed_madd is 0xfd 0x105
]);

describe.skipIf(!inNode)(`Node ${inNode ? process.version : ''} (V8 ${inNode ? process.versions.v8 : ''})`, () => {
  afterEach(() => vi.unstubAllGlobals());

  it('has relaxed SIMD by default exactly from V8 12 on; the kernels compile either way (they use none)', async () => {
    const flagged = process.execArgv.some((a) => a.includes('relaxed-simd'));
    expect(WebAssembly.validate(RELAXED_MADD_MODULE)).toBe(v8Major >= 12 || flagged);
    for (const variant of ['simd', 'threads'] as const) {
      expect(WebAssembly.validate(wasmModuleBytes(variant)), variant).toBe(true);
      await expect(WebAssembly.compile(wasmModuleBytes(variant))).resolves.toBeInstanceOf(WebAssembly.Module);
    }
  });

  it('has a global navigator exactly from Node 21 on, and the default thread count agrees with os.availableParallelism()', async () => {
    expect(typeof (globalThis as { navigator?: unknown }).navigator === 'object').toBe(nodeMajor >= 21);
    const os = await import('node:os');
    const be = await createBackend();
    try {
      expect(be.capabilities.threads).toBe(Math.min(8, os.availableParallelism()));
      expect(be.capabilities.simd).toBe(true);
    } finally {
      be.dispose();
    }
  });

  it('takes the default thread count from navigator.hardwareConcurrency when there is a navigator', async () => {
    const real = (globalThis as { navigator?: object }).navigator;
    vi.stubGlobal('navigator', { ...(real ?? {}), hardwareConcurrency: 3 });
    const be = await createBackend();
    try {
      expect(be.capabilities.threads).toBe(3);
    } finally {
      be.dispose();
    }
  });
});
