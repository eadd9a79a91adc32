/** Shared by the dev benchmarks: data, and a median timer (wall or process CPU time). */

/** Deterministic data in [-1, 1) (LCG). */
export function rand(n, seed = 1) {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/**
 * Median ms of `iters` calls of `fn` (may be async) after 3 warm-up calls; `after(result)`
 * runs outside the timing (disposal). `cpu`: process CPU time (all threads) instead of
 * wall time, the steadier measure of one thread on a shared, loaded machine.
 */
export async function median(fn, { iters, cpu, after = () => {} }) {
  // Synchronous calls stay synchronous: an await would add a microtask turn to short ops.
  const call = async () => {
    const r = fn();
    return r instanceof Promise ? await r : r;
  };
  for (let i = 0; i < 3; i++) after(await call());
  const ts = [];
  for (let i = 0; i < iters; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let r = fn();
    if (r instanceof Promise) r = await r;
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    ts.push(cpu ? (c.user + c.system) / 1000 : wall);
    after(r);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}
