/**
 * The whole conformance kit, in Node and in Chromium: on one thread, and on two with
 * `minParallelWork: 0` so that every case (ragged batches, windows, sinks...) really is
 * split across the worker pool, however small. The random mode's size comes from
 * CONFORMANCE_RUNS / CI.
 */
import { runConformance } from '@llama-ops/conformance';
import { createBackend } from '../dist/index.js';

runConformance({ name: 'wasm (1 thread)', createBackend: () => createBackend({ threads: 1 }) });
runConformance({
  name: 'wasm (2 threads, every kernel on the pool)',
  createBackend: async () => {
    const backend = await createBackend({ threads: 2, minParallelWork: 0 });
    if (backend.capabilities.threads !== 2) throw new Error(`expected 2 threads, got ${backend.capabilities.threads}: ${backend.capabilities.notes?.join('; ')}`);
    return backend;
  },
});
