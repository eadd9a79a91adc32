import { describe, expect, it } from 'vitest';
import { measure, timingPlan } from '../src/timing.js';

describe('measure', () => {
  it('uses the device times a call returns (GPU timestamps) instead of wall time, per call', async () => {
    const stats = await measure(() => 2, timingPlan(5, true));
    expect(stats.medianMs).toBe(2);
    expect(stats.minMs).toBe(2);
    expect(stats.samples).toBeGreaterThanOrEqual(1);
    expect(stats.callsPerSample).toBeGreaterThanOrEqual(1);
  });

  it('takes at least minSamples samples even with no budget, and warms up first', async () => {
    let calls = 0;
    const plan = { ...timingPlan(0, false), sampleMs: 0 };
    const stats = await measure(() => {
      calls++;
    }, plan);
    expect(stats.samples).toBe(5);
    expect(stats.callsPerSample).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(plan.warmupCalls + 5);
  });

  it('plans: quick takes the fewest samples, full at least five', () => {
    expect(timingPlan(20, true)).toMatchObject({ budgetMs: 20, minSamples: 1 });
    expect(timingPlan(1500)).toMatchObject({ budgetMs: 1500, minSamples: 5 });
  });
});
