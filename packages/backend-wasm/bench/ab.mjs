/**
 * A/B of two builds of this package in ONE process (not a test): GQA calls of build A and
 * build B alternate, so both see the same machine state (a shared host moves absolute times
 * by 20-50% between runs; the ratio holds). Copy each build's dist/ to a folder inside this
 * package (so `@llama-ops/core` resolves), e.g. `cp -r dist distA`, then:
 *
 *   node bench/ab.mjs ../distA ../distB
 *
 * Shapes: `SHAPES=Hq/Hkv/d/keys[/queries],...` (queries 1 = decode over `keys`; more is a
 * causal block at the end of the cache); `ITERS=N` calls of each; `THREADS=N` (default 1).
 * Prints medians and B/A.
 * Both builds' tensors stay resident, so K/V take twice the cache they take in one build.
 */
import { gqa } from '@llama-ops/core';
import { rand } from './common.mjs';

const [dirA, dirB] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: node bench/ab.mjs DIST_A DIST_B (paths relative to bench/)');
const threads = Number(process.env.THREADS ?? 1);
const A = await (await import(`${dirA}/index.js`)).createBackend({ threads });
const B = await (await import(`${dirB}/index.js`)).createBackend({ threads });
const shapes = (process.env.SHAPES ?? '32/8/64/2048,32/4/64/2048,32/8/128/2048,32/32/128/2048')
  .split(',')
  .map((s) => s.split('/').map(Number));
const iters = Number(process.env.ITERS ?? 200);
const median = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];

for (const [hq, hkv, d, keys, queries = 1] of shapes) {
  const make = (be) => ({
    q: be.tensor(rand(queries * hq * d, 7), [1, queries, hq, d]),
    k: be.tensor(rand(keys * hkv * d, 8), [1, keys, hkv, d]),
    v: be.tensor(rand(keys * hkv * d, 9), [1, keys, hkv, d]),
  });
  const ta = make(A);
  const tb = make(B);
  const once = (t) => {
    const start = process.hrtime.bigint();
    gqa(t.q, t.k, t.v, { kvLength: keys, causal: true }).dispose();
    return Number(process.hrtime.bigint() - start) / 1e6;
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
  console.log(`${hq}/${hkv}/${d} keys=${keys} queries=${queries}: A ${ma.toFixed(3)} ms  B ${mb.toFixed(3)} ms  B/A ${(mb / ma).toFixed(3)}`);
  for (const t of [ta, tb]) for (const x of [t.q, t.k, t.v]) x.dispose();
}
