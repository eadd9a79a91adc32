/**
 * Float32Arrays every value of which an f16 tensor stores exactly (case data built on the f16
 * grid, never written afterwards): the runner takes them as f16 inputs as they are, without
 * scanning them (4M values of the paths decode case: ~4 ms a probe).
 */
export const onF16Grid = new WeakSet<Float32Array>();
