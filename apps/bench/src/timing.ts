/**
 * The time-boxed measurement loop shared by our backends, the ORT peers and the copy
 * baseline: warm up, batch tiny calls so one sample is well above timer resolution, then
 * take samples until the row's time budget is spent (at least `minSamples`), and report
 * medians per call.
 */
import { summarize, type TimingStats } from './stats.js';

/** How long and how often to measure one contender on one row. */
export interface TimingPlan {
  /** Wall-clock budget for the timed samples, in ms (warm-up comes on top, at most a fifth of it). */
  budgetMs: number;
  /** Samples taken even when the budget is spent (a call longer than the budget still gets these). */
  minSamples: number;
  /** Stop after this many samples even if budget is left. */
  maxSamples: number;
  /** Warm-up calls before timing (at least; more while a fifth of the budget lasts, up to 20). */
  warmupCalls: number;
  /** Target duration of one sample in ms; calls shorter than this are batched. */
  sampleMs: number;
}

/** The plan for a given budget: `quick` takes the fewest samples that still give a median. */
export function timingPlan(budgetMs: number, quick = false): TimingPlan {
  return quick
    ? { budgetMs, minSamples: 1, maxSamples: 200, warmupCalls: 1, sampleMs: 0.2 }
    : { budgetMs, minSamples: 5, maxSamples: 20000, warmupCalls: 2, sampleMs: 1 };
}

/**
 * One timed call: runs the op and waits for it to finish (the caller's barrier), and
 * returns GPU milliseconds when the contender measures its own device time, else nothing.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a call that measures nothing returns nothing (a plain `() => {}` must fit)
export type TimedCall = () => Promise<number | void> | number | void;

const now = () => performance.now();

/**
 * Measure `call` under `plan`. Returns per-call statistics. When `call` returns a number
 * (device time in ms, e.g. GPU timestamps), those numbers are the samples instead of wall time.
 */
export async function measure(call: TimedCall, plan: TimingPlan): Promise<TimingStats> {
  // Warm-up: compile, fill caches, let the JIT see the loop.
  const warmStart = now();
  let warmCalls = 0;
  const warmBudget = plan.budgetMs / 5;
  // The fastest warm call: one slow call (GC, a busy machine) must not skip batching.
  let fastestCallMs = Infinity;
  while (warmCalls < plan.warmupCalls || (warmCalls < 20 && now() - warmStart < warmBudget)) {
    const t = now();
    await call();
    fastestCallMs = Math.min(fastestCallMs, now() - t);
    warmCalls++;
  }
  // Calibrate on warm calls (the first ones include compilation): double a run of calls
  // until it lasts one sample, then batch that many calls per sample.
  let batch = 1;
  // A warm call that already fills a sample needs no calibration (slow rows stay cheap).
  while (fastestCallMs < plan.sampleMs) {
    const t0 = now();
    for (let i = 0; i < batch; i++) await call();
    const elapsed = now() - t0;
    if (elapsed >= plan.sampleMs || batch >= 1024) {
      batch = Math.max(1, Math.min(1024, Math.ceil((plan.sampleMs * batch) / Math.max(elapsed, 1e-6))));
      break;
    }
    batch *= 2;
  }

  const samples: number[] = [];
  const start = now();
  while (samples.length < plan.maxSamples && (samples.length < plan.minSamples || now() - start < plan.budgetMs)) {
    const t0 = now();
    let device = 0;
    let hasDevice = true;
    for (let i = 0; i < batch; i++) {
      const r = await call();
      if (typeof r === 'number') device += r;
      else hasDevice = false;
    }
    samples.push(hasDevice ? device : now() - t0);
  }
  return summarize(samples, batch);
}
