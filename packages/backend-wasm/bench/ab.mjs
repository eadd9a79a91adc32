/**
 * A/B of two builds of this package in ONE process (not a test): calls of build A and
 * build B alternate, so both see the same machine state (a shared host moves absolute times
 * by 20-50% between runs; the ratio holds). Copy each build's dist/ to a folder inside this
 * package (so `@llama-ops/core` resolves), e.g. `cp -r dist distA`, then:
 *
 *   node bench/ab.mjs ../distA ../distB
 *
 * GQA shapes: `SHAPES=Hq/Hkv/d/keys[/queries],...` (queries 1 = decode over `keys`; more is
 * a causal block at the end of the cache). `OPS=gqa,rmsnorm,rope` picks the ops (default
 * gqa); rmsnorm and rope run bench/quick.mjs's shapes. `ITERS=N` calls of each;
 * `THREADS=N` (default 1); `CPU=1` times process CPU time instead of wall time (steadier
 * for one thread on a loaded machine: time spent preempted does not count). Prints
 * medians and B/A. `FLUSH=1` evicts the caches before each call (a 64 MiB write outside the timing).
 * `BW=1` also prints, per GQA shape, the K/V read rate of each build (K/V bytes / median)
 * beside a read pass over as many bytes in this process (Buffer.compare of two equal
 * buffers: native memcmp, loads only), its ratio, and ns per key.
 * Both builds' tensors stay resident, so K/V take twice the cache they take in one build.
 * `DTYPE=f16` makes the GQA tensors f16 (default f32); `DTYPE_A` / `DTYPE_B` set one side
 * only, e.g. `DTYPE_A=f32 DTYPE_B=f16 node bench/ab.mjs ../distB ../distB` times f16
 * against f32 within one build.
 */
import { addRmsnorm, gqa, rmsnorm, rope } from '@llama-ops/core';
import { rand } from './common.mjs';

const [dirA, dirB] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: node bench/ab.mjs DIST_A DIST_B (paths relative to bench/)');
const threads = Number(process.env.THREADS ?? 1);
const A = await (await import(`${dirA}/index.js`)).createBackend({ threads });
const B = await (await import(`${dirB}/index.js`)).createBackend({ threads });
const ops = (process.env.OPS ?? 'gqa').split(',');
const shapes = (process.env.SHAPES ?? '32/8/64/2048,32/4/64/2048,32/8/128/2048,32/32/128/2048')
  .split(',')
  .map((s) => s.split('/').map(Number));
const iters = Number(process.env.ITERS ?? 200);
const median = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const wallMs = () => Number(process.hrtime.bigint()) / 1e6;
const now = process.env.CPU === '1' ? cpuMs : wallMs;
const dtypeA = process.env.DTYPE_A ?? process.env.DTYPE ?? 'f32';
const dtypeB = process.env.DTYPE_B ?? process.env.DTYPE ?? 'f32';

// FLUSH=1: before each timed call, write a 64 MiB buffer (outside the timing), so the call
// finds its K/V evicted from the caches, as a decode step does after the layers between.
const flush = process.env.FLUSH === '1' ? Buffer.alloc(64 << 20) : null;
let flushes = 0;

/**
 * Times `run` on build A's and build B's tensors (`make(backend)`), alternating, and prints
 * the medians. `run` returns the outputs to dispose (outside the timing).
 */
function compare(name, make, run, bytes = 0, keysOf = 1) {
  const ta = make(A, dtypeA);
  const tb = make(B, dtypeB);
  const once = (t) => {
    if (flush) flush.fill(flushes++);
    const start = now();
    const outs = run(t);
    const ms = now() - start;
    for (const o of [outs].flat()) o.dispose();
    return ms;
  };
  for (let i = 0; i < 10; i++) {
    once(ta);
    once(tb);
  }
  const xa = [];
  const xb = [];
  for (let i = 0; i < iters; i++) {
    xa.push(once(ta));
    xb.push(once(tb));
  }
  const ma = median(xa);
  const mb = median(xb);
  console.log(`${name}: A ${ma.toFixed(3)} ms  B ${mb.toFixed(3)} ms  B/A ${(mb / ma).toFixed(3)}`);
  if (bytes) {
    const bw = readRate(bytes);
    const rate = (ms) => bytes / ms / 1e6;
    const nsKey = (ms) => ((ms * 1e6) / keysOf).toFixed(0);
    console.log(
      `  read pass ${bw.toFixed(1)} GB/s; A ${rate(ma).toFixed(1)} GB/s (${((100 * rate(ma)) / bw).toFixed(0)}%, ${nsKey(ma)} ns/key)` +
        `  B ${rate(mb).toFixed(1)} GB/s (${((100 * rate(mb)) / bw).toFixed(0)}%, ${nsKey(mb)} ns/key)`,
    );
  }
  for (const t of [ta, tb]) for (const x of Object.values(t)) x.dispose();
}

/** Median read rate (GB/s, clock of `now`) of memcmp over two equal buffers of bytes/2 each. */
function readRate(bytes) {
  const a = Buffer.alloc(bytes >> 1, 7);
  const b = Buffer.alloc(bytes >> 1, 7);
  const xs = [];
  for (let i = 0; i < 21; i++) {
    const start = now();
    Buffer.compare(a, b);
    xs.push(now() - start);
  }
  return ((bytes >> 1) * 2) / median(xs) / 1e6;
}

if (ops.includes('gqa')) {
  for (const [hq, hkv, d, keys, queries = 1] of shapes) {
    const make = (be, dtype) => ({
      q: be.tensor(rand(queries * hq * d, 7), [1, queries, hq, d], { dtype }),
      k: be.tensor(rand(keys * hkv * d, 8), [1, keys, hkv, d], { dtype }),
      v: be.tensor(rand(keys * hkv * d, 9), [1, keys, hkv, d], { dtype }),
    });
    const types = dtypeA === dtypeB ? dtypeA : `A ${dtypeA}, B ${dtypeB}`;
    const bytes = 2 * keys * hkv * d * (dtypeA === 'f16' && dtypeB === 'f16' ? 2 : 4);
    compare(`gqa ${hq}/${hkv}/${d} keys=${keys} queries=${queries} (${types})`, make, (t) => gqa(t.q, t.k, t.v, { kvLength: keys, causal: true }), process.env.BW === '1' ? bytes : 0, keys);
  }
}

if (ops.includes('rmsnorm')) {
  const n = 2048 * 4096;
  const make = (be) => ({
    x: be.tensor(rand(n), [2048, 4096]),
    r: be.tensor(rand(n, 2), [2048, 4096]),
    w: be.tensor(rand(4096, 3), [4096]),
  });
  compare('rmsnorm [2048,4096]', make, (t) => rmsnorm(t.x, t.w));
  compare('addRmsnorm [2048,4096]', make, (t) => {
    const o = addRmsnorm(t.x, t.r, t.w);
    return [o.y, o.sum];
  });
}

if (ops.includes('rope')) {
  const make = (be) => ({
    x: be.tensor(rand(512 * 32 * 128), [1, 512, 32, 128]),
    xd: be.tensor(rand(32 * 128), [1, 1, 32, 128]),
  });
  compare('rope [1,512,32,128]', make, (t) => rope(t.x, { positions: 0 }));
  compare('rope [1,512,32,128] interleaved', make, (t) => rope(t.x, { positions: 0, interleaved: true }));
  compare('rope decode [1,1,32,128] @ 2047', make, (t) => rope(t.xd, { positions: 2047 }));
}
