/**
 * A/B of two builds of this package in ONE process (not a test): calls of build A and
 * build B alternate, so both see the same machine state (a shared host moves absolute
 * times a lot between runs; the ratio holds). Copy each build's dist/ to a folder inside
 * this package (so `@llama-ops/core` resolves), e.g. `cp -r dist distA`, then, with a
 * Vulkan driver in the environment (lavapipe: see the README's "Testing without a GPU"):
 *
 *   node bench/ab.mjs ../distA ../distB
 *
 * The rows are those of `llama-ops bench` (apps/bench). Each row times one op call per
 * sample with the build's own `timeGpu` (GPU timestamps where the adapter has
 * `timestamp-query`, else wall time) and the wall time of encode + submit + wait.
 * `ITERS=N` samples of each at most (default 30), `BUDGET_MS` per row (default 20000, at
 * least 5 samples), `FILTER=text` picks rows.
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
/** Stop a row's sampling after this many milliseconds (at least 5 samples each). */
const budgetMs = Number(process.env.BUDGET_MS ?? 20000);
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

/** The rows of `llama-ops bench` (apps/bench/src/rows.ts): [name, make(be) -> call]. */
const rows = [];
for (const [r, hidden] of [[1, 4096], [512, 2048], [2048, 4096]]) {
  rows.push([`rmsnorm [${r}, ${hidden}]`, (be) => {
    const x = be.tensor(rand(r * hidden, 1), [r, hidden]);
    const w = be.tensor(rand(hidden, 2), [hidden]);
    return () => rmsnorm(x, w, { eps: 1e-5 });
  }]);
}
for (const [r, hidden] of [[1, 4096], [2048, 4096]]) {
  rows.push([`add+rmsnorm [${r}, ${hidden}]`, (be) => {
    const x = be.tensor(rand(r * hidden, 1), [r, hidden]);
    const res = be.tensor(rand(r * hidden, 3), [r, hidden]);
    const w = be.tensor(rand(hidden, 2), [hidden]);
    return () => {
      const o = addRmsnorm(x, res, w, { eps: 1e-5 });
      return [o.y, o.sum];
    };
  }]);
}
for (const d of [64, 128]) {
  for (const seq of [1, 512]) {
    for (const [name, heads] of [['q', 32], ['k', 8]]) {
      rows.push([`rope ${name} [1, ${seq}, ${heads}, ${d}]`, (be) => {
        const x = be.tensor(rand(seq * heads * d, 4), [1, seq, heads, d]);
        return () => rope(x, { positions: seq === 1 ? 2047 : 0, theta: 500000 });
      }]);
    }
  }
}
for (const [hq, hkv, d, phases] of [[32, 8, 64, ['prefill', 'decode']], [32, 4, 64, ['prefill', 'decode']], [32, 8, 128, ['prefill', 'decode']], [32, 32, 128, ['decode']]]) {
  for (const phase of phases) {
    const [seqQ, seqKV] = phase === 'prefill' ? [512, 512] : [1, 2048];
    rows.push([`gqa ${hq}/${hkv}/${d} ${phase === 'prefill' ? 'prefill 512 causal' : 'decode over 2048'}`, (be) => {
      const q = be.tensor(rand(seqQ * hq * d, 5), [1, seqQ, hq, d]);
      const k = be.tensor(rand(seqKV * hkv * d, 6), [1, seqKV, hkv, d]);
      const v = be.tensor(rand(seqKV * hkv * d, 7), [1, seqKV, hkv, d]);
      return () => gqa(q, k, v, { causal: true });
    }]);
  }
}
const selected = rows.filter(([name]) => name.includes(filter));

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
for (const [name, make] of selected) {
  const callA = make(A.be);
  const callB = make(B.be);
  for (let i = 0; i < 2; i++) {
    await sample(A, callA);
    await sample(B, callB);
  }
  const a = [];
  const b = [];
  const start = performance.now();
  for (let i = 0; i < iters && (i < 5 || performance.now() - start < budgetMs); i++) {
    a.push(await sample(A, callA));
    b.push(await sample(B, callB));
  }
  const ga = median(a.map((s) => s.gpu));
  const gb = median(b.map((s) => s.gpu));
  const wa = median(a.map((s) => s.wall));
  const wb = median(b.map((s) => s.wall));
  console.log(
    `${name.padEnd(34)} n=${String(a.length).padStart(2)} ${a[0].source}: A ${ga.toFixed(3)} ms  B ${gb.toFixed(3)} ms  B/A ${(gb / ga).toFixed(3)} | wall: A ${wa.toFixed(3)} ms  B ${wb.toFixed(3)} ms  B/A ${(wb / wa).toFixed(3)}`,
  );
}
A.be.dispose();
B.be.dispose();
