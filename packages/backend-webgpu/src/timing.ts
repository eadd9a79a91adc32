/**
 * Timing for benchmarks. With `timestamp-query`, every compute pass recorded between
 * start and stop carries GPU timestamps, and the result is the summed GPU time of those
 * passes (DMA copies are not included); without it, the result is the wall time from the
 * start to the end of `backend.sync()` (submission, queueing and execution).
 */
import type { Backend } from '@llama-ops/core';
import { webgpuKernelsOf } from './backend.js';

/** Result of {@link timeGpu}. */
export interface GpuTiming<T> {
  /** What `fn` returned. */
  result: T;
  /** Milliseconds: summed GPU pass time (`source: 'timestamp'`) or wall time (`'wall'`). */
  ms: number;
  source: 'timestamp' | 'wall';
  /** Wall milliseconds from the start until the device finished the work. */
  wallMs: number;
  /** Compute passes that carried timestamps (0 for wall time). */
  passes: number;
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());

/**
 * Run `fn` (which queues ops on `backend`), wait for the device, and report how long the
 * device worked. Works for any backend: non-WebGPU backends get wall time around `sync()`.
 * @example
 * const { ms, source } = await timeGpu(gpu, () => gqa(q, k, v));
 */
export async function timeGpu<T>(backend: Backend, fn: () => T | Promise<T>): Promise<GpuTiming<T>> {
  const kernels = webgpuKernelsOf(backend);
  await backend.sync();
  const stamped = kernels ? kernels.ctx.beginTiming() : false;
  const t0 = now();
  let result: T;
  try {
    result = await fn();
    await backend.sync();
  } catch (err) {
    if (stamped && kernels) await kernels.ctx.endTiming().catch(() => undefined);
    throw err;
  }
  const wallMs = now() - t0;
  if (stamped && kernels) {
    const { gpuMs, passes } = await kernels.ctx.endTiming();
    return { result, ms: gpuMs, source: 'timestamp', wallMs, passes };
  }
  return { result, ms: wallMs, source: 'wall', wallMs, passes: 0 };
}
