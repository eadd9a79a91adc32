/** A contender that fails or hangs is reported as skipped with the reason; the run goes on. */
import { defineBackend, registerBackend, unregisterBackend, type KernelBackend } from '@llama-ops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../src/index.js';

function fakeKernels(name: string, behaviour: 'hang' | 'throw'): KernelBackend<Float32Array> {
  const never = () => new Promise<never>(() => {});
  return {
    name,
    capabilities: { dtypes: ['f32'], threads: 1 },
    upload: (data) => data.slice(),
    allocate: (size) => new Float32Array(size),
    read: async (s) => (behaviour === 'hang' ? never() : s.slice()),
    free: () => {},
    copy: () => {},
    rmsnorm: () => {
      if (behaviour === 'throw') throw new Error('kernel exploded');
    },
    rope: () => {},
    gqa: () => {},
    sync: async () => (behaviour === 'hang' ? never() : undefined),
  };
}

describe('robustness', () => {
  registerBackend('hangs', async () => defineBackend(fakeKernels('hangs', 'hang')));
  registerBackend('throws', async () => defineBackend(fakeKernels('throws', 'throw')));
  registerBackend('cannot-start', async () => {
    throw new Error('no adapter here');
  });
  afterAll(() => {
    for (const n of ['hangs', 'throws', 'cannot-start']) unregisterBackend(n);
  });

  it('skips a hanging backend after the row time limit and retires it; others still run', async () => {
    const report = await runBench({
      backends: ['hangs', 'throws', 'cannot-start', 'cpu'],
      peers: [],
      filter: [/^rmsnorm-1x4096$/, /^rmsnorm-512x2048$/],
      quick: true,
      timeBudgetMs: 5,
      rowTimeoutMs: 300,
    });
    const [first, second] = report.rows;
    expect(first.results.hangs).toEqual({ status: 'skipped', reason: 'failed: timed out after 300 ms' });
    expect(second.results.hangs).toEqual({ status: 'skipped', reason: 'not run: it timed out on RMSNorm [1, 4096]' });
    expect(first.results.throws).toEqual({ status: 'skipped', reason: 'failed: kernel exploded' });
    expect(first.results['cannot-start']).toMatchObject({ status: 'skipped' });
    expect(report.contenders.find((c) => c.id === 'cannot-start')).toMatchObject({ available: false, reason: expect.stringContaining('no adapter here') });
    expect(first.results.cpu.status).toBe('ok');
    expect(second.results.cpu.status).toBe('ok');
    // Outputs are checked against the float64 reference; cpu runs first on each row
    // (it is the fallback reference) though it is listed last.
    expect(report.reference).toBe('float64');
    expect(report.contenders.map((c) => c.id)).toEqual(['hangs', 'throws', 'cannot-start', 'cpu']);
  }, 30_000);
});
