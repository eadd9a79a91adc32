/**
 * A/B of two builds of this package in ONE process (not a test): calls of build A and
 * build B alternate, so both see the same machine state (a shared host moves absolute
 * times a lot between runs; the ratio holds). Copy each build's dist/ to a folder inside
 * this package (so `@llama-ops/core` resolves), e.g. `cp -r dist distA`, then, with a
 * Vulkan driver in the environment (lavapipe: see the README's "Testing without a GPU"):
 *
 *   node bench/ab.mjs ../distA ../distB
 *
 * Each row times one op call per sample with the build's own `timeGpu` (GPU timestamps
 * where the adapter has `timestamp-query`, else wall time) and the wall time of encode +
 * submit + wait. `ITERS=N` samples of each (default 30), `FILTER=text` picks rows.
 * Prints medians and B/A for both. Software Vulkan says nothing about GPU speed: this
 * only shows that nothing regressed grossly.
 */
import { addRmsnorm, gqa, rmsnorm, rope } from '@llama-ops/core';

const [dirA, dirB] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: node bench/ab.mjs DIST_A DIST_B (paths relative to bench/)');
const modA = await import(`${dirA}/index.js`);
const modB = await import(`${dirB}/index.js`);
const A = { be: await modA.createBackend(), timeGpu: modA.timeGpu };
const B = { be: await modB.createBackend(), timeGpu: modB.timeGpu };
const iters = Number(process.env.ITERS ?? 30);
const filter = process.env.FILTER ?? '';

function rand(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** [name, make(be) -> () => result tensor(s)] */
const rows = [
  ['rmsnorm [1, 4096]', (be) => { const x = be.tensor(rand(4096, 1), [1, 4096]); const w = be.tensor(rand(4096, 2), [4096]); return () => rmsnorm(x, w, { eps: 1e-5 }); }],
  ['rmsnorm [512, 2048]', (be) => { const x = be.tensor(rand(512 * 2048, 1), [512, 2048]); const w = be.tensor(rand(2048, 2), [2048]); return () => rmsnorm(x, w, { eps: 1e-5 }); }],
  ['add+rmsnorm [1, 4096]', (be) => { const x = be.tensor(rand(4096, 1), [1, 4096]); const r = be.tensor(rand(4096, 3), [1, 4096]); const w = be.tensor(rand(4096, 2), [4096]); return () => { const o = addRmsnorm(x, r, w); return [o.y, o.sum]; }; }],
  ['rope q [1, 1, 32, 128]', (be) => { const x = be.tensor(rand(32 * 128, 4), [1, 1, 32, 128]); return () => rope(x, { positions: 2047, theta: 500000 }); }],
  ['rope q [1, 512, 32, 64]', (be) => { const x = be.tensor(rand(512 * 32 * 64, 4), [1, 512, 32, 64]); return () => rope(x, { positions: 0, theta: 500000 }); }],
  ...[[32, 8, 64], [32, 8, 128]].map(([hq, hkv, d]) => [`gqa ${hq}/${hkv}/${d} decode over 2048`, (be) => {
    const q = be.tensor(rand(hq * d, 5), [1, 1, hq, d]);
    const k = be.tensor(rand(2048 * hkv * d, 6), [1, 2048, hkv, d]);
    const v = be.tensor(rand(2048 * hkv * d, 7), [1, 2048, hkv, d]);
    return () => gqa(q, k, v, { kvLength: 2048, causal: true });
  }]),
  ['gqa 32/8/64 prefill 128 causal', (be) => {
    const q = be.tensor(rand(128 * 32 * 64, 5), [1, 128, 32, 64]);
    const k = be.tensor(rand(128 * 8 * 64, 6), [1, 128, 8, 64]);
    const v = be.tensor(rand(128 * 8 * 64, 7), [1, 128, 8, 64]);
    return () => gqa(q, k, v, { causal: true });
  }],
].filter(([name]) => name.includes(filter));

const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const dispose = (r) => (Array.isArray(r) ? r.forEach((t) => t.dispose()) : r.dispose());

async function sample(side, call) {
  const t0 = performance.now();
  const t = await side.timeGpu(side.be, call);
  const wall = performance.now() - t0;
  dispose(t.result);
  return { gpu: t.ms, wall, source: t.source };
}

console.log(`A = ${dirA}, B = ${dirB}, ${iters} samples each, alternating`);
for (const [name, make] of rows) {
  const callA = make(A.be);
  const callB = make(B.be);
  for (let i = 0; i < 3; i++) {
    await sample(A, callA);
    await sample(B, callB);
  }
  const a = [];
  const b = [];
  for (let i = 0; i < iters; i++) {
    a.push(await sample(A, callA));
    b.push(await sample(B, callB));
  }
  const ga = median(a.map((s) => s.gpu));
  const gb = median(b.map((s) => s.gpu));
  const wa = median(a.map((s) => s.wall));
  const wb = median(b.map((s) => s.wall));
  console.log(
    `${name.padEnd(32)} ${a[0].source}: A ${ga.toFixed(3)} ms  B ${gb.toFixed(3)} ms  B/A ${(gb / ga).toFixed(3)} | wall: A ${wa.toFixed(3)} ms  B ${wb.toFixed(3)} ms  B/A ${(wb / wa).toFixed(3)}`,
  );
}
A.be.dispose();
B.be.dispose();
