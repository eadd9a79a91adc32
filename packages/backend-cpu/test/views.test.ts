/**
 * The conformance kit's views family must catch a backend that declares `views` but gets
 * layouts wrong: each mutant below is the correct cpu kernel with one layout field ignored.
 */
import { defineBackend, type KernelBackend } from '@llama-ops/core';
import { listCases, runCase } from '@llama-ops/conformance/suite';
import { describe, expect, it } from 'vitest';
import { createCpuKernels, type CpuStorage } from '../src/index.js';

type Mutate = (k: KernelBackend<CpuStorage>) => KernelBackend<CpuStorage>;

const mutants: Record<string, Mutate> = {
  'gqa ignores the k row stride': (k) => ({
    ...k,
    gqa: (p) => k.gqa({ ...p, layout: { ...p.layout, k: { offset: p.layout.k.offset, rowStride: p.headsKV * p.headDim } } }),
  }),
  'gqa ignores the v offset': (k) => ({ ...k, gqa: (p) => k.gqa({ ...p, layout: { ...p.layout, v: { ...p.layout.v, offset: 0 } } }) }),
  'gqa ignores the out row stride': (k) => ({
    ...k,
    gqa: (p) => k.gqa({ ...p, layout: { ...p.layout, out: { ...p.layout.out, rowStride: p.headsQ * p.headDimV } } }),
  }),
  'rope ignores the out offset': (k) => ({ ...k, rope: (p) => k.rope({ ...p, layout: { ...p.layout, out: { ...p.layout.out, offset: p.layout.x.offset } } }) }),
  'rmsnorm ignores the x row stride': (k) => ({ ...k, rmsnorm: (p) => k.rmsnorm({ ...p, layout: { ...p.layout, x: { ...p.layout.x, rowStride: p.hidden } } }) }),
  'rmsnorm ignores the sum offset': (k) => ({ ...k, rmsnorm: (p) => k.rmsnorm({ ...p, layout: { ...p.layout, sum: { ...p.layout.sum, offset: 0 } } }) }),
  'copy ignores the source row stride': (k) => ({ ...k, copy: (p) => k.copy({ ...p, srcRowStride: p.count }) }),
};

describe('the views family catches layout bugs', () => {
  const viewCases = listCases({ group: 'views', dtype: 'f32' });
  it('has cases for every op', () => {
    expect(new Set(viewCases.map((c) => c.op))).toEqual(new Set(['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache']));
  });
  it('passes the correct cpu backend', async () => {
    const be = defineBackend(createCpuKernels());
    for (const c of viewCases) expect((await runCase(be, c)).message).toMatch(/pass/);
  });
  for (const [name, mutate] of Object.entries(mutants)) {
    it(`fails a backend whose ${name}`, async () => {
      const be = defineBackend(mutate(createCpuKernels()));
      const failed = [];
      for (const c of viewCases) {
        const r = await runCase(be, c);
        if (!r.pass) failed.push(r.id);
      }
      expect(failed.length).toBeGreaterThan(0);
    });
  }
});
