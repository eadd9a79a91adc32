/**
 * The llama-ops wasm module: one export per kernel, each `(params, start, end, thread)`,
 * so the JS side can split `[0, units)` across threads without knowing the kernel.
 * Built twice from this source (scripts/build-wasm.mjs): single-thread, and with shared
 * memory for the worker pool. Memory is imported (`env.memory`) and managed from JS.
 */
export { copy } from './copy';
export { rmsnorm } from './rmsnorm';
export { rope } from './rope';
export { gqa, gqaPack, gqaCombine } from './gqa';
export { widen, narrow } from './convert';
// The parameter block's size and layout fingerprint, which test/params.test.ts compares
// with the JS writers' (src/params.ts): both are generated from params.schema.mjs.
export { PARAMS_BYTES, PARAMS_LAYOUT_HASH } from './params';

/** First free byte after the module's static data; the JS allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
