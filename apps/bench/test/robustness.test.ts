/** A contender that fails or hangs is reported as skipped with the reason; the run goes on. */
import { defineBackend, registerBackend, unregisterBackend, type KernelBackend, type RmsnormKernelParams } from '@llama-ops/core';
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
      // The per-row handling is what this test is about: the quick probe would stop these
      // backends before any row (see the next test).
      quickProbe: false,
    });
    const [first, second] = report.rows;
    expect(first.results.hangs).toEqual({ status: 'failed', reason: 'timed out after 300 ms' });
    expect(second.results.hangs).toEqual({ status: 'skipped', reason: 'not run: it timed out on RMSNorm [1, 4096]' });
    expect(first.results.throws).toEqual({ status: 'failed', reason: 'kernel exploded' });
    expect(first.results['cannot-start']).toMatchObject({ status: 'skipped' });
    expect(report.contenders.find((c) => c.id === 'cannot-start')).toMatchObject({ available: false, reason: expect.stringContaining('no adapter here') });
    expect(first.results.cpu.status).toBe('ok');
    expect(second.results.cpu.status).toBe('ok');
    // Outputs are checked against the float64 reference; cpu runs first on each row
    // (it is the fallback reference) though it is listed last.
    expect(report.reference).toBe('float64');
    expect(report.contenders.map((c) => c.id)).toEqual(['hangs', 'throws', 'cannot-start', 'cpu']);
  }, 30_000);

  it('with the quick probe (the default), a backend that hangs or throws in it is not benchmarked, with the reason', async () => {
    const report = await runBench({
      backends: ['hangs', 'throws', 'cpu'],
      peers: [],
      filter: /^rmsnorm-1x4096$/,
      quick: true,
      timeBudgetMs: 5,
      rowTimeoutMs: 300,
    });
    const hangs = report.contenders.find((c) => c.id === 'hangs');
    expect(hangs).toMatchObject({ available: false, reason: 'the quick conformance probe timed out after 300 ms' });
    const throws = report.contenders.find((c) => c.id === 'throws');
    expect(throws).toMatchObject({ available: false, reason: expect.stringMatching(/^failed the quick conformance probe: .*kernel exploded/) });
    expect(throws?.quickProbe?.ok).toBe(false);
    expect(report.rows[0].results.hangs.status).toBe('skipped');
    expect(report.rows[0].results.throws.status).toBe('skipped');
    expect(report.rows[0].results.cpu.status).toBe('ok');
    expect(report.contenders.find((c) => c.id === 'cpu')?.quickProbe).toMatchObject({ ok: true });
  }, 30_000);
});

describe('the reference check before timing', () => {
  let rmsnormCalls = 0;
  // A backend whose RMSNorm is a little wrong (every output 1e-3 too large): outside SPEC.md's
  // 1e-5 bound. It must be reported as failed with the error, and never timed.
  registerBackend('off-by-a-bit', async () =>
    defineBackend({
      ...fakeKernels('off-by-a-bit', 'throw'),
      rmsnorm: (p: RmsnormKernelParams<Float32Array>) => {
        rmsnormCalls++;
        const { x, weight, out, rows, hidden, eps } = p;
        for (let r = 0; r < rows; r++) {
          let ss = 0;
          for (let i = 0; i < hidden; i++) ss += x[r * hidden + i] ** 2;
          const inv = 1 / Math.sqrt(ss / hidden + eps);
          for (let i = 0; i < hidden; i++) out[r * hidden + i] = x[r * hidden + i] * inv * weight[i] + 1e-3;
        }
      },
    }),
  );
  afterAll(() => unregisterBackend('off-by-a-bit'));

  it('reports a contender outside tolerance as failed with its error, and does not time it', async () => {
    // quickProbe off: the probe would catch this backend before the row (next test).
    const report = await runBench({ backends: ['off-by-a-bit', 'cpu'], peers: [], filter: /^rmsnorm-1x4096$/, quick: true, timeBudgetMs: 5, quickProbe: false });
    const result = report.rows[0].results['off-by-a-bit'];
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.reason).toMatch(/^wrong output: largest \|error\| 1\.00e-3 \(\d+x SPEC's bound; every element checked against the float64 reference\); not timed$/);
    expect(result.toleranceRatio).toBeGreaterThan(1);
    // One call: the checked one. Timing would have made many more.
    expect(rmsnormCalls).toBe(1);
    expect(report.rows[0].results.cpu.status).toBe('ok');
    expect(report.rows[0].ratios.some((r) => r.subject === 'off-by-a-bit')).toBe(false);
  }, 30_000);

  it('the quick probe catches it before any row: reported as skipped, naming the failing RMSNorm case', async () => {
    const report = await runBench({ backends: ['off-by-a-bit', 'cpu'], peers: [], filter: /^rmsnorm-1x4096$/, quick: true, timeBudgetMs: 5 });
    const info = report.contenders.find((c) => c.id === 'off-by-a-bit');
    expect(info).toMatchObject({ available: false, reason: expect.stringMatching(/^failed the quick conformance probe: .*rmsnorm/i) });
    expect(report.rows[0].results['off-by-a-bit'].status).toBe('skipped');
    expect(report.rows[0].results.cpu.status).toBe('ok');
  }, 30_000);
});
