/**
 * chooseBackend on real backends: a correct cpu backend with one kernel changed, registered
 * ahead of cpu, is passed over for cpu, and the report names the failing case (one per op).
 */
import { defineBackend, registerBackend, unregisterBackend, type KernelBackend } from '@llama-ops/core';
import { chooseBackend } from '@llama-ops/conformance';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, createCpuKernels, type CpuStorage } from '../src/index.js';

// core imports @llama-ops/backend-cpu on demand; this package's own tests use the source.
beforeAll(() => registerBackend('cpu', () => createBackend()));

type Mutate = (k: KernelBackend<CpuStorage>) => KernelBackend<CpuStorage>;

const broken: Record<string, { mutate: Mutate; failing: RegExp }> = {
  rmsnorm: {
    // eps outside the square root: 1 / (sqrt(mean) + eps), emulated by shifting eps
    mutate: (k) => ({ ...k, rmsnorm: (p) => k.rmsnorm({ ...p, eps: p.eps === 0 ? 0 : (Math.sqrt(p.eps) + p.eps) ** 2 }) }),
    failing: /^failed case (rmsnorm|addRmsnorm)\//,
  },
  rope: {
    // pairs swapped: (2i, 2i+1) for (i, i + d/2) and back
    mutate: (k) => ({ ...k, rope: (p) => k.rope({ ...p, interleaved: !p.interleaved }) }),
    failing: /^failed case rope\//,
  },
  gqa: {
    // the sinks dropped from the softmax
    mutate: (k) => ({ ...k, gqa: (p) => k.gqa({ ...p, sinks: null }) }),
    failing: /^failed case gqa\/sinks\//,
  },
  kvcache: {
    // appends land one position late
    mutate: (k) => ({ ...k, copy: (p) => k.copy({ ...p, dstOffset: p.dstOffset + p.count }) }),
    failing: /^failed case (gqa|kvcache)\//,
  },
};

describe('chooseBackend passes over a broken backend registered ahead of cpu', { timeout: 60_000 }, () => {
  afterEach(() => unregisterBackend('broken-cpu'));
  for (const [op, { mutate, failing }] of Object.entries(broken)) {
    it(`broken ${op}`, async () => {
      registerBackend('broken-cpu', async () => defineBackend({ ...mutate(createCpuKernels()), name: 'broken-cpu' }), { priority: 1000 });
      const { name, backend, report } = await chooseBackend({ cache: false, candidates: ['broken-cpu', 'cpu'] });
      expect(name).toBe('cpu');
      expect(backend.name).toBe('cpu');
      expect(report[0].name).toBe('broken-cpu');
      expect(report[0].ok).toBe(false);
      expect(report[0].reason).toMatch(failing);
      expect(report[1]).toMatchObject({ name: 'cpu', ok: true });
      backend.dispose();
    });
  }
  it('with no candidates given, tries every registered backend best first', async () => {
    registerBackend('broken-cpu', async () => defineBackend({ ...broken.rope.mutate(createCpuKernels()), name: 'broken-cpu' }), { priority: 1000 });
    const { report } = await chooseBackend({ cache: false });
    expect(report[0].name).toBe('broken-cpu');
    expect(report.at(-1)?.ok).toBe(true);
  });
});
