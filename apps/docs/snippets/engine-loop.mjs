// A decode loop as an engine runs it: q, k and v are views of one packed projection,
// outputs go into tensors allocated once, reads fill one array, and a scope per step frees
// every temporary. Checked against the float64 reference at the end.
import { createKVCache, gqa, rope } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-wasm';
import { referenceGqa } from '@llama-ops/conformance/reference';

const [Hq, Hkv, d] = [8, 2, 16];
const row = (Hq + 2 * Hkv) * d;           // one token of the fused QKV projection
const be = await createBackend({ threads: 1 });
const cache = createKVCache(be, { batch: 1, capacity: 64, kvHeads: Hkv, headDim: d });
const qkv = be.empty([1, 1, row]);        // the projection writes here every step
const attn = be.empty([1, 1, Hq, d]);     // gqa writes here every step
const out = new Float32Array(Hq * d);     // read() fills this every step
const q = be.view(qkv, { shape: [1, 1, Hq, d], rowStride: row });
const k = be.view(qkv, { shape: [1, 1, Hkv, d], offset: Hq * d, rowStride: row });
const v = be.view(qkv, { shape: [1, 1, Hkv, d], offset: (Hq + Hkv) * d, rowStride: row });

const keys = [];
const values = [];
let lastQ;
for (let step = 0; step < 32; step++) {
  const projection = Float32Array.from({ length: row }, (_, i) => Math.sin(step * 7 + i));
  await be.scope(async () => {
    qkv.write(projection);                  // the engine's matmul output
    rope(q, { positions: step, inPlace: true });
    rope(k, { positions: step, inPlace: true });
    cache.append(k, v);
    gqa(q, cache.k, cache.v, { kvLength: cache.length, out: attn });
    await attn.read(out);
    keys.push(await k.read());
    values.push(await v.read());
    lastQ = await q.read();
  });
  if (step === 0 || step === 31) console.log(`step ${step}: live tensors ${be.memory().tensors}, bytes ${be.memory().bytes}`);
}

const flat = (rows) => Float32Array.from(rows.flatMap((r) => Array.from(r)));
const want = referenceGqa(lastQ, flat(keys), flat(values), { q: [1, 1, Hq, d], k: [1, 32, Hkv, d], v: [1, 32, Hkv, d] }, {});
const worst = want.reduce((m, x, i) => Math.max(m, Math.abs(x - out[i])), 0);
console.log(`last step vs the float64 reference: max |error| ${worst.toExponential(1)}`);
be.dispose();
