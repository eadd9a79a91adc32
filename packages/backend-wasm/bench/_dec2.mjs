import { gqa } from '@llama-ops/core';
import { createBackend } from '../dist/index.js';
import { median, rand } from './common.mjs';
const be = await createBackend({ threads: 1 });
const only = process.argv[2];
for (const [hq, hkv, d] of [[32, 8, 64], [32, 4, 64], [32, 8, 128]]) {
  if (only && `${hq}/${hkv}/${d}` !== only) continue;
  const L = 2048;
  const q = be.tensor(rand(hq * d, 7), [1, 1, hq, d]);
  const k = be.tensor(rand(L * hkv * d, 8), [1, L, hkv, d]);
  const v = be.tensor(rand(L * hkv * d, 9), [1, L, hkv, d]);
  const ms = await median(() => gqa(q, k, v, { kvLength: L }), { iters: 300, cpu: true, after: (o) => o.dispose() });
  console.log(`decode ${hq}/${hkv}/${d}`, ms.toFixed(3), 'ms');
}
